package io.krunctl.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine.Help;

/** Runs krunctl in process, as {@code main} would, with captured output and no colours. */
final class CliRunner {
    record Result(int exitCode, String out, String err) {}

    private CliRunner() {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), Help.Ansi.OFF, args);
        return new Result(code, out.toString(), err.toString());
    }
}
