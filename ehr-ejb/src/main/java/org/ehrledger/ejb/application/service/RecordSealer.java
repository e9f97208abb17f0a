package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.infrastructure.crypto.KeyWrap;
import org.ehrledger.ejb.infrastructure.crypto.RecordCipher;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/**
 * Encrypts a record's content under a fresh data key bound to the record id, and wraps the key for each
 * reader; the result is the body of a record transaction (hash, size, wraps) plus the ciphertext.
 */
public final class RecordSealer {

    private RecordSealer() {
    }

    /** A sealed record: the transaction fields and the ciphertext that travels after the transaction. */
    public record Sealed(Fields.Builder body, byte[] ciphertext) {
    }

    /**
     * @param recordId  the record id (associated data of the encryption and of every wrap)
     * @param patient   whose record it is
     * @param category  its category
     * @param plaintext the content
     * @param readers   reader id to X25519 public key (X.509 encoding); the patient must be among them
     */
    public static Sealed seal(String recordId, String patient, String category, byte[] plaintext,
                              Map<String, byte[]> readers) {
        byte[] context = recordId.getBytes(StandardCharsets.UTF_8);
        byte[] key = RecordCipher.newDataKey();
        byte[] ct = RecordCipher.encrypt(key, plaintext, context);
        List<String> wraps = new ArrayList<>();
        KeyWrap.Sender sender = KeyWrap.sender();
        for (Map.Entry<String, byte[]> r : readers.entrySet()) {
            PublicKey pub = UserKeys.publicKey("X25519", r.getValue());
            wraps.add(r.getKey() + ":" + Base64.getEncoder().encodeToString(sender.wrap(key, pub, context).encode()));
        }
        java.util.Arrays.fill(key, (byte) 0);
        Fields.Builder body = Fields.builder().put("recordId", recordId).put("patient", patient).put("category", category)
                .put("contentHash", Digest.sha256(ct).bytes()).put("size", ct.length).put("wraps", wraps);
        return new Sealed(body, ct);
    }
}
