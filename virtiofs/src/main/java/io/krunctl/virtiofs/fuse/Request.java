package io.krunctl.virtiofs.fuse;

import io.krunctl.virtiofs.fs.Context;

/**
 * One decoded request: its header fields, its arguments and where the reply goes.
 *
 * @param raw        the request exactly as the transport handed it over (for WRITE data, read in place)
 * @param bodyLength the argument bytes after the header, as the header's length field declares
 * @param body       a private copy of the arguments (for WRITE only the fixed part)
 */
record Request(Opcode opcode, long unique, long nodeId, Context ctx, ScatterBuffer raw, long bodyLength,
        RequestBody body, Reply reply) {
}
