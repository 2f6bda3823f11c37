package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link ExitCodes#TABLE} documents every code krunctl uses, and only those. */
class ExitCodesTest {

    @Test
    void everyConstantHasARowAndEveryRowAConstant() throws IllegalAccessException {
        Set<String> constants = new java.util.TreeSet<>();
        for (Field f : ExitCodes.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                constants.add(String.valueOf(f.getInt(null)));
            }
        }
        Set<String> rows = ExitCodes.TABLE.stream().map(ExitCodes.Row::codes).filter(c -> !c.contains("-"))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        assertThat(rows).isEqualTo(constants);
    }

    @Test
    void krunctlsOwnCodesStayClearOfTheGuestInitsAndSignals() {
        for (int code : List.of(ExitCodes.USAGE, ExitCodes.SPEC_INVALID, ExitCodes.SPEC_UNREADABLE,
                ExitCodes.UNAVAILABLE, ExitCodes.VM_FAILED)) {
            assertThat(code).isBetween(64, 78); // sysexits.h
        }
    }

    @Test
    void everyCommandNamedInTheTableExists() {
        Set<String> commands = Main.commandLine().getSubcommands().keySet();
        for (ExitCodes.Row row : ExitCodes.TABLE) {
            assertThat(commands).as(row.codes()).containsAll(row.commands());
        }
        for (String command : commands) {
            assertThat(ExitCodes.forCommand(command)).as(command).isNotEmpty();
        }
    }
}
