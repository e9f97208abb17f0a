package org.ehrledger.ejb.application.service;

import java.util.Arrays;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
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

    @Inject
    KeyRenewal renewal;

    /** A committed rotation and the number of records re-wrapped for the new key. */
    public record Rotation(Committed committed, int recordsRewrapped) {
    }

    /**
     * Commits the rotation from {@code current} (the registered keys) to {@code fresh}, with the records
     * wrapped for the person re-wrapped for the new encryption key.
     */
    public Rotation rotate(String userId, Role role, UserKeys current, UserKeys fresh) {
        Fields.Builder body = enrolment.certify(userId, role, fresh).putPublic(Fields.builder(), "");
        List<String> wraps = renewal.withOwnKey(userId, current.encryption(), fresh.encryption().getPublic());
        if (!wraps.isEmpty()) {
            body.put("wraps", wraps);
        }
        return new Rotation(writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(current, userId, TxType.ROTATE_KEY,
                body.build()), null)), wraps.size());
    }

    /** Whether the ledger holds {@code keys} as the person's registered signing key. */
    public boolean registered(String userId, UserKeys keys) {
        User u = ledger.query(s -> s.user(userId));
        return u != null && Arrays.equals(u.signingKey(), keys.signing().getPublic().getEncoded());
    }
}
