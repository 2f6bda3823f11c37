package io.krunctl.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code krunctl completion bash|zsh}: prints a shell completion script. */
@Command(
        name = "completion",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Print a script that completes krunctl's commands, options and arguments in SHELL.",
            "The zsh script is the bash one run through zsh's bashcompinit."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  krunctl completion bash > /etc/bash_completion.d/krunctl",
            "  source <(krunctl completion bash)        # in ~/.bashrc",
            "  source <(krunctl completion zsh)         # in ~/.zshrc"
        })
final class CompletionCommand implements Callable<Integer> {

    /** Shells with a completion script. */
    enum Shell {
        bash,
        zsh
    }

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "The shell: ${COMPLETION-CANDIDATES}.")
    Shell shell;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(script(shell, spec.root().commandLine()));
        out.flush();
        return ExitCodes.OK;
    }

    static String script(Shell shell, CommandLine root) {
        String bash = AutoComplete.bash(root.getCommandName(), root);
        return switch (shell) {
            case bash -> bash;
            // picocli's script detects zsh itself and loads bashcompinit; this header makes it a zsh file.
            case zsh -> "#compdef " + root.getCommandName() + "\n"
                    + "# zsh completion for " + root.getCommandName() + ": load it with\n"
                    + "#   source <(" + root.getCommandName() + " completion zsh)\n"
                    + "# after compinit in ~/.zshrc.\n"
                    + "autoload -U +X bashcompinit && bashcompinit\n"
                    + bash;
        };
    }
}
