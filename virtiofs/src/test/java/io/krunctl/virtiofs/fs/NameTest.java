package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NameTest {
    @Test
    void namesAreBytesThatRoundTripEvenWhenNotUtf8() {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xE9};

        Name name = Name.of(latin1);

        assertThat(name.toByteArray()).isEqualTo(latin1);
        assertThat(name).isEqualTo(Name.of(latin1.clone())).hasSameHashCodeAs(Name.of(latin1.clone()));
        assertThat(name).isNotEqualTo(Name.of("café"));
    }

    @Test
    void aNameOwnsItsBytes() {
        byte[] bytes = {'a', 'b'};
        Name name = Name.of(bytes);
        bytes[0] = 'z';

        assertThat(name.toString()).isEqualTo("ab");
        name.toByteArray()[1] = 'z';
        assertThat(name.toString()).isEqualTo("ab");
    }

    @Test
    void nulIsNeverPartOfAName() {
        assertThatThrownBy(() -> Name.of(new byte[] {'a', 0, 'b'})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pathComponents() {
        assertThat(Name.of("file").isPathComponent()).isTrue();
        assertThat(Name.of("...").isPathComponent()).isTrue();
        assertThat(Name.of(".hidden").isPathComponent()).isTrue();
        assertThat(Name.of("").isPathComponent()).isFalse();
        assertThat(Name.of(".").isPathComponent()).isFalse();
        assertThat(Name.of("..").isPathComponent()).isFalse();
        assertThat(Name.of("a/b").isPathComponent()).isFalse();
    }
}
