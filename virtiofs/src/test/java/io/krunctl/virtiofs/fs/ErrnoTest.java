package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ErrnoTest {

    @Test
    void everyConstantIsTheNativeValueOfItsName() throws ReflectiveOperationException {
        Field[] constants = Arrays.stream(Errno.class.getFields())
                .filter(f -> f.getType() == Errno.class && Modifier.isStatic(f.getModifiers()))
                .toArray(Field[]::new);
        assertThat(constants).hasSizeGreaterThan(30);
        for (Field f : constants) {
            Errno errno = (Errno) f.get(null);
            assertThat(errno.name()).isEqualTo(f.getName());
            assertThat(errno.code()).isEqualTo(io.krunctl.nativeio.Errno.class.getField(f.getName()).getInt(null));
        }
    }

    @Test
    void aValueWithoutAConstantIsNamedByNumber() {
        assertThat(Errno.of(123).toString()).isEqualTo("errno 123");
        assertThat(Errno.of(2)).isEqualTo(Errno.ENOENT);
    }
}
