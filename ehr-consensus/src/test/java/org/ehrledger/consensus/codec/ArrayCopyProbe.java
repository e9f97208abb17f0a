package org.ehrledger.consensus.codec;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Run in a JVM of its own by {@link CompiledArrayCopyTest}: repeats a computation long enough for the C2 compiler to
 * compile it, checks every result against one computed another way, and exits 1 at the first wrong one (0 if none).
 *
 * <ul>
 * <li>{@code decoder}: digests read by {@link Wire.Reader#digest()} and {@link Digest#read}, as every consensus
 * message and stored block is decoded: each must hold the bytes it was cut from and the hash code of those bytes.</li>
 * <li>{@code copy-of-a-copy}: an array cut with {@code Arrays.copyOfRange} and copied again ({@code clone}), then
 * read: the pattern that HotSpot 17.0.15's C2 computes wrongly unless {@code -XX:-ReduceBulkZeroing} is given.</li>
 * <li>{@code jvm-check}: prints what {@code JvmCheck} finds wrong with this JVM ("no problem" if nothing).</li>
 * </ul>
 */
public final class ArrayCopyProbe {

    /** Iterations: enough for C2 to compile the loop and run compiled for most of them. */
    static final int ROUNDS = 40_000;
    private static final int PER_ROUND = 100;

    private ArrayCopyProbe() {
    }

    public static void main(String[] args) {
        if (args[0].equals("jvm-check")) {
            String problem = org.ehrledger.consensus.node.JvmCheck.problem();
            System.out.println(problem == null ? "no problem" : problem);
            return;
        }
        byte[] buffer = new byte[Digest.LENGTH * PER_ROUND + 64];
        new SplittableRandom(20261204).nextBytes(buffer);
        long wrong = 0;
        for (int round = 0; round < ROUNDS && wrong == 0; round++) {
            for (int i = 0; i < PER_ROUND; i++) {
                wrong += switch (args[0]) {
                    case "decoder" -> decoder(buffer, i);
                    case "copy-of-a-copy" -> copyOfACopy(buffer, i);
                    default -> throw new IllegalArgumentException("decoder or copy-of-a-copy, not " + args[0]);
                };
            }
            if (wrong > 0) {
                System.out.println(args[0] + ": a wrong result in round " + round);
            }
        }
        System.out.println(args[0] + ": " + (wrong == 0 ? "every result exact" : "wrong results"));
        System.exit(wrong == 0 ? 0 : 1);
    }

    private static int decoder(byte[] buffer, int i) {
        int offset = i * Digest.LENGTH + 3;
        Wire.Reader r = new Wire.Reader(buffer, offset, Digest.LENGTH);
        Digest decoded = r.digest();
        Digest read = Digest.read(buffer, offset);
        int expected = expectedHash(buffer, offset);
        return decoded.hashCode() == expected && read.hashCode() == expected && decoded.equals(read)
                && Arrays.equals(decoded.unsafeBytes(), 0, Digest.LENGTH, buffer, offset, offset + Digest.LENGTH) ? 0 : 1;
    }

    private static int copyOfACopy(byte[] buffer, int i) {
        int offset = i * Digest.LENGTH + 3;
        byte[] copy = Arrays.copyOfRange(buffer, offset, offset + Digest.LENGTH).clone();
        int sum = 0;
        for (byte b : copy) {
            sum += b;
        }
        int expected = 0;
        for (int k = 0; k < Digest.LENGTH; k++) {
            expected += buffer[offset + k];
        }
        return sum == expected ? 0 : 1;
    }

    /** {@code Arrays.hashCode} of the 32 bytes at {@code offset}, computed in place. */
    private static int expectedHash(byte[] buffer, int offset) {
        int h = 1;
        for (int k = 0; k < Digest.LENGTH; k++) {
            h = 31 * h + buffer[offset + k];
        }
        return h;
    }
}
