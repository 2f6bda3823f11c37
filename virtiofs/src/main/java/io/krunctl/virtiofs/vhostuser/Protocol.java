package io.krunctl.virtiofs.vhostuser;

/** vhost-user wire constants (docs/interop/vhost-user.rst, as QEMU 7.2 uses them). */
final class Protocol {
    static final int HEADER_SIZE = 12;
    /** Largest payload this backend accepts; real messages are at most a few hundred bytes. */
    static final int MAX_PAYLOAD = 4096;
    /** Most descriptors a front-end message may carry (QEMU sends at most 8). */
    static final int MAX_FDS = 16;

    static final int VERSION = 0x1;
    static final int VERSION_MASK = 0x3;
    static final int FLAG_REPLY = 0x4;
    static final int FLAG_NEED_REPLY = 0x8;
    /** Flags of every reply this backend sends: version 1 | REPLY, nothing else (QEMU insists). */
    static final int REPLY_FLAGS = VERSION | FLAG_REPLY;

    static final int GET_FEATURES = 1;
    static final int SET_FEATURES = 2;
    static final int SET_OWNER = 3;
    static final int RESET_OWNER = 4;
    static final int SET_MEM_TABLE = 5;
    static final int SET_LOG_BASE = 6;
    static final int SET_LOG_FD = 7;
    static final int SET_VRING_NUM = 8;
    static final int SET_VRING_ADDR = 9;
    static final int SET_VRING_BASE = 10;
    static final int GET_VRING_BASE = 11;
    static final int SET_VRING_KICK = 12;
    static final int SET_VRING_CALL = 13;
    static final int SET_VRING_ERR = 14;
    static final int GET_PROTOCOL_FEATURES = 15;
    static final int SET_PROTOCOL_FEATURES = 16;
    static final int GET_QUEUE_NUM = 17;
    static final int SET_VRING_ENABLE = 18;
    static final int SEND_RARP = 19;
    static final int NET_SET_MTU = 20;
    static final int SET_BACKEND_REQ_FD = 21;
    static final int IOTLB_MSG = 22;
    static final int SET_VRING_ENDIAN = 23;
    static final int GET_CONFIG = 24;
    static final int SET_CONFIG = 25;
    static final int CREATE_CRYPTO_SESSION = 26;
    static final int CLOSE_CRYPTO_SESSION = 27;
    static final int POSTCOPY_ADVISE = 28;
    static final int POSTCOPY_LISTEN = 29;
    static final int POSTCOPY_END = 30;
    static final int GET_INFLIGHT_FD = 31;
    static final int SET_INFLIGHT_FD = 32;
    static final int GPU_SET_SOCKET = 33;
    static final int RESET_DEVICE = 34;
    static final int VRING_KICK = 35;
    static final int GET_MAX_MEM_SLOTS = 36;
    static final int ADD_MEM_REG = 37;
    static final int REM_MEM_REG = 38;
    static final int SET_STATUS = 39;
    static final int GET_STATUS = 40;

    private static final String[] NAMES = {
        "NONE", "GET_FEATURES", "SET_FEATURES", "SET_OWNER", "RESET_OWNER", "SET_MEM_TABLE",
        "SET_LOG_BASE", "SET_LOG_FD", "SET_VRING_NUM", "SET_VRING_ADDR", "SET_VRING_BASE",
        "GET_VRING_BASE", "SET_VRING_KICK", "SET_VRING_CALL", "SET_VRING_ERR",
        "GET_PROTOCOL_FEATURES", "SET_PROTOCOL_FEATURES", "GET_QUEUE_NUM", "SET_VRING_ENABLE",
        "SEND_RARP", "NET_SET_MTU", "SET_BACKEND_REQ_FD", "IOTLB_MSG", "SET_VRING_ENDIAN",
        "GET_CONFIG", "SET_CONFIG", "CREATE_CRYPTO_SESSION", "CLOSE_CRYPTO_SESSION",
        "POSTCOPY_ADVISE", "POSTCOPY_LISTEN", "POSTCOPY_END", "GET_INFLIGHT_FD", "SET_INFLIGHT_FD",
        "GPU_SET_SOCKET", "RESET_DEVICE", "VRING_KICK", "GET_MAX_MEM_SLOTS", "ADD_MEM_REG",
        "REM_MEM_REG", "SET_STATUS", "GET_STATUS",
    };

    // Virtio feature bits (GET/SET_FEATURES).
    static final long F_INDIRECT_DESC = 1L << 28;
    static final long F_EVENT_IDX = 1L << 29;
    /** VHOST_USER_F_PROTOCOL_FEATURES: the front-end may use GET/SET_PROTOCOL_FEATURES. */
    static final long F_PROTOCOL_FEATURES = 1L << 30;
    static final long F_VERSION_1 = 1L << 32;

    /** What this backend implements and offers. */
    static final long OFFERED_FEATURES = F_VERSION_1 | F_INDIRECT_DESC | F_EVENT_IDX | F_PROTOCOL_FEATURES;

    // Protocol feature bits (GET/SET_PROTOCOL_FEATURES).
    static final long PF_MQ = 1L << 0;
    static final long PF_REPLY_ACK = 1L << 3;
    static final long OFFERED_PROTOCOL_FEATURES = PF_MQ | PF_REPLY_ACK;

    /** Payload of SET_VRING_KICK/CALL/ERR: bits 0-7 queue index, bit 8 "no fd". */
    static final long VRING_INDEX_MASK = 0xff;
    static final long VRING_NOFD = 0x100;

    static final int STATE_SIZE = 8;
    static final int ADDR_SIZE = 40;
    static final int U64_SIZE = 8;
    static final int MEM_TABLE_HEADER = 8;
    static final int MEM_REGION_SIZE = 32;
    /** VHOST_MEMORY_BASELINE_NREGIONS: the most regions one SET_MEM_TABLE carries. */
    static final int MAX_MEM_REGIONS = 8;

    /** Largest split virtqueue the virtio spec allows. */
    static final int MAX_QUEUE_SIZE = 32768;

    private Protocol() {
    }

    static String name(int request) {
        return request >= 0 && request < NAMES.length ? NAMES[request] : "UNKNOWN(" + request + ")";
    }
}
