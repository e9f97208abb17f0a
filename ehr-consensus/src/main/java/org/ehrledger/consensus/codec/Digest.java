package org.ehrledger.consensus.codec;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** An immutable SHA-256 digest, usable as a map key. */
public final class Digest implements Comparable<Digest> {

    /** Length of a SHA-256 digest in bytes. */
    public static final int LENGTH = 32;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    });

    private final byte[] bytes;
    private final int hash;

    private Digest(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Wraps 32 bytes (copied). */
    public static Digest of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a digest has 32 bytes, not " + bytes.length);
        }
        return new Digest(bytes.clone());
    }

    /**
     * The 32 bytes at {@code offset} of {@code buffer} (copied once). Use this rather than {@code of} on a range
     * just cut from a larger array: HotSpot 17's C2 compiler (seen in 17.0.15) can compute wrong values from a copy of
     * an array that {@code Arrays.copyOfRange} has just made, when both copies are compiled together, and a digest
     * then got a wrong hash code in a decoder's hot loop (docs/OPERATIONS.md, "JVM options"). One copy is exact.
     */
    public static Digest read(byte[] buffer, int offset) {
        if (offset < 0 || offset > buffer.length - LENGTH) {
            throw new IllegalArgumentException("no 32-byte digest at offset " + offset + " of " + buffer.length + " bytes");
        }
        return new Digest(Arrays.copyOfRange(buffer, offset, offset + LENGTH));
    }

    /** SHA-256 of the given bytes, with the JDK provider (SHA-NI accelerated where available). */
    public static Digest sha256(byte[] data) {
        return new Digest(SHA256.get().digest(data));
    }

    /** SHA-256 of a region of the given bytes. */
    public static Digest sha256(byte[] data, int offset, int length) {
        MessageDigest md = SHA256.get();
        md.update(data, offset, length);
        return new Digest(md.digest());
    }

    /** A copy of the 32 digest bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The digest bytes without copying; callers must not modify them. */
    public byte[] unsafeBytes() {
        return bytes;
    }

    /** Full lower-case hex form. */
    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && hash == d.hash && Arrays.equals(bytes, d.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(Digest o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return hex().substring(0, 12);
    }
}
