package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.KeyWrap;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/**
 * A person's key rotation (the {@code ROTATE_KEY} transaction): new keys certified by their organisation's
 * CA replace their registered keys, signed with the keys they replace, and the records wrapped for the
 * person are re-wrapped for the new encryption key in the same transaction.
 */
@ApplicationScoped
public class KeyRotation {

    @Inject
    LedgerRuntime ledger;

    @Inject
    LedgerWriter writer;

    @Inject
    Enrolment enrolment;

    /** Commits the rotation from {@code current} (the registered keys) to {@code fresh}. */
    public Committed rotate(String userId, Role role, UserKeys current, UserKeys fresh) {
        Fields.Builder body = enrolment.certify(userId, role, fresh).putPublic(Fields.builder(), "");
        List<String> wraps = rewrapped(userId, current, fresh);
        if (!wraps.isEmpty()) {
            body.put("wraps", wraps);
        }
        return writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(current, userId, TxType.ROTATE_KEY, body.build()), null));
    }

    /** Whether the ledger holds {@code keys} as the person's registered signing key. */
    public boolean registered(String userId, UserKeys keys) {
        User u = ledger.query(s -> s.user(userId));
        return u != null && Arrays.equals(u.signingKey(), keys.signing().getPublic().getEncoded());
    }

    /**
     * The person's key wraps re-made for the new key, as {@code <recordId>:<base64>}: their own records (a
     * patient) and those of patients whose consents name them (a practitioner or billing clerk), at most
     * {@link ClinicalRecords#MAX_REWRAPS}.
     */
    private List<String> rewrapped(String userId, UserKeys current, UserKeys fresh) {
        long now = System.currentTimeMillis();
        Map<String, byte[]> wrapped = ledger.query(s -> {
            User me = s.user(userId);
            List<ClinicalRecord> candidates = new ArrayList<>(s.recordsOf(userId));
            for (Consent c : s.consentsGrantedTo(userId, me == null ? "" : me.organisation(), now)) {
                if (c.grantee().equals(userId)) {
                    candidates.addAll(s.recordsOf(c.patient()));
                }
            }
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (ClinicalRecord r : candidates) {
                byte[] w = r.erased() ? null : s.wrappedKey(r.id(), userId);
                if (w != null && out.size() < ClinicalRecords.MAX_REWRAPS) {
                    out.put(r.id(), w);
                }
            }
            return out;
        });
        List<String> out = new ArrayList<>(wrapped.size());
        for (Map.Entry<String, byte[]> e : wrapped.entrySet()) {
            byte[] context = e.getKey().getBytes(StandardCharsets.UTF_8);
            try {
                byte[] key = KeyWrap.unwrap(KeyWrap.Wrapped.decode(e.getValue()), current.encryption().getPrivate(),
                        current.encryption().getPublic(), context);
                out.add(e.getKey() + ":" + Base64.getEncoder().encodeToString(
                        KeyWrap.wrap(key, fresh.encryption().getPublic(), context).encode()));
                Arrays.fill(key, (byte) 0);
            } catch (CryptoException unreadable) {
                // a wrap this key cannot open (should not happen) is left as it is
            }
        }
        return out;
    }
}
