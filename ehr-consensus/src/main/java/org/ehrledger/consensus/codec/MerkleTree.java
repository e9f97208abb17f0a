package org.ehrledger.consensus.codec;

import java.util.ArrayList;
import java.util.List;

/**
 * Merkle trees over SHA-256 as in RFC 6962/9162 (Certificate Transparency): leaf hash
 * {@code H(0x00 || leaf)}, node hash {@code H(0x01 || left || right)}, the left subtree the largest
 * power of two below the size. Audit paths let anyone check that a leaf is in a tree of a given size
 * and root without seeing the other leaves.
 */
public final class MerkleTree {

    private MerkleTree() {
    }

    /** Hash of a leaf. */
    public static Digest leafHash(byte[] leaf) {
        byte[] in = new byte[leaf.length + 1];
        System.arraycopy(leaf, 0, in, 1, leaf.length);
        return Digest.sha256(in);
    }

    private static Digest node(Digest left, Digest right) {
        byte[] in = new byte[1 + 2 * Digest.LENGTH];
        in[0] = 1;
        System.arraycopy(left.unsafeBytes(), 0, in, 1, Digest.LENGTH);
        System.arraycopy(right.unsafeBytes(), 0, in, 1 + Digest.LENGTH, Digest.LENGTH);
        return Digest.sha256(in);
    }

    private static int split(int n) {
        return Integer.highestOneBit(n - 1);
    }

    /** Root over already-hashed leaves (the hash of the empty string for none). */
    public static Digest root(List<Digest> leafHashes) {
        if (leafHashes.isEmpty()) {
            return Digest.sha256(new byte[0]);
        }
        return subtree(leafHashes, 0, leafHashes.size());
    }

    private static Digest subtree(List<Digest> leaves, int from, int n) {
        if (n == 1) {
            return leaves.get(from);
        }
        int k = split(n);
        return node(subtree(leaves, from, k), subtree(leaves, from + k, n - k));
    }

    /** The audit path of leaf {@code index}: sibling hashes from the leaf up to the root. */
    public static List<Digest> auditPath(List<Digest> leafHashes, int index) {
        if (index < 0 || index >= leafHashes.size()) {
            throw new IndexOutOfBoundsException("leaf " + index + " of " + leafHashes.size());
        }
        List<Digest> path = new ArrayList<>();
        collect(leafHashes, 0, leafHashes.size(), index, path);
        return path;
    }

    private static void collect(List<Digest> leaves, int from, int n, int index, List<Digest> path) {
        if (n == 1) {
            return;
        }
        int k = split(n);
        if (index < k) {
            collect(leaves, from, k, index, path);
            path.add(subtree(leaves, from + k, n - k));
        } else {
            collect(leaves, from + k, n - k, index - k, path);
            path.add(subtree(leaves, from, k));
        }
    }

    /**
     * Recomputes the root from a leaf hash, its index, the tree size and its audit path (RFC 9162
     * section 2.1.3.2); null if the path is malformed for that index and size.
     */
    public static Digest rootFromPath(Digest leafHash, long index, long size, List<Digest> path) {
        if (index < 0 || index >= size) {
            return null;
        }
        long fn = index;
        long sn = size - 1;
        Digest r = leafHash;
        for (Digest p : path) {
            if (sn == 0) {
                return null;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = node(p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }
}
