package io.krunctl.cli;

import io.krunctl.cli.spec.SpecOverride;
import picocli.CommandLine;

/** Reads {@code --set PATH=VALUE}; a malformed argument is a usage error that names the flag. */
final class SpecOverrideConverter implements CommandLine.ITypeConverter<SpecOverride> {
    @Override
    public SpecOverride convert(String value) {
        try {
            return SpecOverride.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
