package io.steadfast.replication.impl;

/**
 * Who owns what an application creates through the replicated mount — the rules of Linux's
 * {@code inode_init_owner}, because the FUSE daemon creates every entry as root and must then give it to the caller:
 * the owner is the caller's uid; the group is the caller's gid, or the parent directory's group when the parent
 * has the set-group-ID bit (BSD group semantics), in which case a new directory inherits that bit too and a new
 * file loses a set-group-ID bit the caller may not set (not in the group, not root).
 *
 * <p>The owner travels in the {@code b} field of CREATE/MKDIR/SYMLINK ops, packed by {@link #pack}; {@link #NONE}
 * means "leave the entry as the applier created it" (an entry that existed before its CREATE).
 */
public final class Owners {
    static final int S_ISGID = 02000;
    /** No owner carried: both halves are -1 (chown's "unchanged"). */
    public static final long NONE = -1L;

    private Owners() {
    }

    /** A new entry's owner and the mode it gets (the requested mode adjusted for the parent's set-group-ID bit). */
    public record NewEntry(int uid, int gid, int mode) {
        public long packed() {
            return pack(uid, gid);
        }
    }

    /** The caller of a FUSE request. */
    public record Caller(int uid, int gid) {
        public static final Caller ROOT = new Caller(0, 0);
    }

    public static NewEntry of(Caller caller, int parentMode, int parentGid, int requestedMode, boolean directory) {
        int mode = requestedMode & 07777;
        if ((parentMode & S_ISGID) == 0) {
            return new NewEntry(caller.uid(), caller.gid(), mode);
        }
        if (directory) {
            mode |= S_ISGID;
        } else if ((mode & S_ISGID) != 0 && caller.uid() != 0 && caller.gid() != parentGid) {
            mode &= ~S_ISGID;
        }
        return new NewEntry(caller.uid(), parentGid, mode);
    }

    public static long pack(int uid, int gid) {
        return ((long) uid << 32) | (gid & 0xffffffffL);
    }

    public static int uid(long packed) {
        return (int) (packed >>> 32);
    }

    public static int gid(long packed) {
        return (int) packed;
    }
}
