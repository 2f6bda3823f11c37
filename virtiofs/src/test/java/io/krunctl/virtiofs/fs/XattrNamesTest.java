package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class XattrNamesTest {
    private static Name n(String s) {
        return Name.of(s);
    }

    @Test
    void theGuestsPrivilegedNamespacesLiveUnderKrunctlsUserPrefixOnTheHost() {
        assertThat(XattrNames.toHost(n("trusted.overlay.opaque"))).isEqualTo(n("user.krunctl.trusted.overlay.opaque"));
        assertThat(XattrNames.toHost(n("trusted.overlay.redirect")))
                .isEqualTo(n("user.krunctl.trusted.overlay.redirect"));
        assertThat(XattrNames.toHost(n("security.selinux"))).isEqualTo(n("user.krunctl.security.selinux"));
        assertThat(XattrNames.toHost(n("security.capability"))).as("a capability must never take effect on the host")
                .isEqualTo(n("user.krunctl.security.capability"));
    }

    @Test
    void theGuestSeesMappedNamesAsItSetThem() {
        for (String guest : new String[] {"trusted.overlay.opaque", "security.capability", "security.ima"}) {
            assertThat(XattrNames.toGuest(XattrNames.toHost(n(guest)))).isEqualTo(n(guest));
        }
    }

    @Test
    void otherNamespacesPassThroughUnchangedBothWays() {
        for (String name : new String[] {"user.mime_type", "system.posix_acl_access", "system.posix_acl_default",
                "user.krunctl", "user.krunctlx", "trustedx.y", "Trusted.x", "securityx"}) {
            assertThat(XattrNames.reserved(n(name))).as(name).isFalse();
            assertThat(XattrNames.toHost(n(name))).as(name).isEqualTo(n(name));
            assertThat(XattrNames.toGuest(n(name))).as(name).isEqualTo(n(name));
        }
    }

    @Test
    void theHostsOwnPrivilegedAttributesAreHidden() {
        assertThat(XattrNames.toGuest(n("trusted.overlay.opaque"))).isNull();
        assertThat(XattrNames.toGuest(n("security.selinux"))).isNull();
        assertThat(XattrNames.toGuest(n("security.capability"))).isNull();
    }

    @Test
    void krunctlsPrefixIsReservedAndWhatItHoldsBesidesMappedNamesIsHidden() {
        assertThat(XattrNames.reserved(n("user.krunctl.trusted.overlay.opaque"))).isTrue();
        assertThat(XattrNames.reserved(n("user.krunctl.x"))).isTrue();
        assertThat(XattrNames.reserved(n("user.krunctl."))).isTrue();
        assertThat(XattrNames.toGuest(n("user.krunctl.user.x"))).isNull();
        assertThat(XattrNames.toGuest(n("user.krunctl.x"))).isNull();
        assertThat(XattrNames.toGuest(n("user.krunctl."))).isNull();
        assertThat(XattrNames.toGuest(n("user.krunctl.user.krunctl.trusted.x"))).isNull();
    }

    @Test
    void namesAreBytesNotText() {
        byte[] guest = {'t', 'r', 'u', 's', 't', 'e', 'd', '.', (byte) 0xE9, (byte) 0xFF};
        Name host = XattrNames.toHost(Name.of(guest));
        assertThat(host.toByteArray()).startsWith("user.krunctl.".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .endsWith(guest);
        assertThat(XattrNames.toGuest(host).toByteArray()).isEqualTo(guest);
    }
}
