package io.krunctl.virtiofs.fs;

import java.time.Duration;
import java.util.Objects;

/** Attributes plus how long the guest may cache them without asking again. */
public record AttrReply(Attr attr, Duration timeout) {
    public AttrReply {
        Objects.requireNonNull(attr, "attr");
        Entry.requireTimeout(timeout, "timeout");
    }
}
