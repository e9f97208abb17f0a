package org.ehrledger.consensus.crypto;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.ehrledger.consensus.api.Signer;

/**
 * The cryptographic identity of one node: signs with its Ed25519 key and authenticates each link
 * with HMAC-SHA256 under a pairwise key derived from static X25519 agreement and HKDF. MAC keys are
 * derived once per peer and cached; HMAC engines are kept per thread because they are not thread-safe.
 */
public final class NodeCrypto implements Signer {

    /** Length of a link MAC. */
    public static final int MAC_LENGTH = 32;

    private static final byte[] HKDF_INFO = "ehr-ledger pbft link key v1".getBytes(StandardCharsets.US_ASCII);

    private final int id;
    private final NodeKeys keys;
    private final IntFunction<PublicKeys> directory;
    private final Map<Integer, SecretKeySpec> linkKeys = new ConcurrentHashMap<>();
    private final ThreadLocal<Map<Integer, Mac>> macs = ThreadLocal.withInitial(java.util.HashMap::new);

    /**
     * @param id        this node's id
     * @param keys      this node's private keys
     * @param directory public keys of any peer by id, {@code null} when unknown
     */
    public NodeCrypto(int id, NodeKeys keys, IntFunction<PublicKeys> directory) {
        this.id = id;
        this.keys = keys;
        this.directory = directory;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public byte[] sign(byte[] message) {
        return Ed25519.sign(keys.signing(), message);
    }

    /** HMAC-SHA256 of a region under the key shared with {@code peer}; null if the peer is unknown. */
    public byte[] mac(int peer, byte[] data, int offset, int length) {
        Mac mac = macFor(peer);
        if (mac == null) {
            return null;
        }
        mac.update(data, offset, length);
        return mac.doFinal();
    }

    /** Checks a MAC in constant time. */
    public boolean checkMac(int peer, byte[] data, int offset, int length, byte[] expected, int expectedOffset) {
        byte[] actual = mac(peer, data, offset, length);
        if (actual == null) {
            return false;
        }
        byte[] given = java.util.Arrays.copyOfRange(expected, expectedOffset, expectedOffset + MAC_LENGTH);
        return MessageDigest.isEqual(actual, given);
    }

    private Mac macFor(int peer) {
        Map<Integer, Mac> perThread = macs.get();
        Mac mac = perThread.get(peer);
        if (mac != null) {
            return mac;
        }
        SecretKeySpec key = linkKeys.computeIfAbsent(peer, this::deriveLinkKey);
        if (key == null) {
            return null;
        }
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
        perThread.put(peer, mac);
        return mac;
    }

    private SecretKeySpec deriveLinkKey(int peer) {
        PublicKeys peerKeys = directory.apply(peer);
        if (peerKeys == null) {
            return null;
        }
        X25519Agreement agreement = new X25519Agreement();
        agreement.init(keys.agreement());
        byte[] shared = new byte[agreement.getAgreementSize()];
        agreement.calculateAgreement(peerKeys.agreementParams(), shared, 0);
        // Salt binds the key to the unordered pair of ids, so both ends derive the same key.
        byte[] salt = new byte[8];
        int low = Math.min(id, peer);
        int high = Math.max(id, peer);
        for (int i = 0; i < 4; i++) {
            salt[i] = (byte) (low >>> (24 - 8 * i));
            salt[4 + i] = (byte) (high >>> (24 - 8 * i));
        }
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(shared, salt, HKDF_INFO));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        return new SecretKeySpec(key, "HmacSHA256");
    }

    @Override
    public String toString() {
        return "NodeCrypto[" + id + "]";
    }
}
