package org.ehrledger.ejb.application.contracts;

import java.util.Map;

import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * Keys and erasure: a user rotates their keys (re-wrapping the record keys they hold for the new one), and
 * a record is erased by crypto-shredding (every key wrap goes; its hash stays on chain). Part of
 * {@link Contracts}: every check before the returned change.
 */
final class KeyContracts {

    private final WorldState state;
    private final Parties parties;

    KeyContracts(WorldState state, Parties parties) {
        this.state = state;
        this.parties = parties;
    }

    Runnable rotateKey(SignedTransaction tx, long now) {
        User user = parties.author(tx);
        Fields b = tx.body();
        Organisation org = state.organisation(user.organisation());
        byte[][] keys = Parties.certifiedKeys(b, org, now, user.id(), user.role());
        parties.requireUnusedKeys(keys, user.id());
        // The owner re-wraps the keys of the records they may read for the new encryption key: "<recordId>:<base64>".
        Map<String, byte[]> rewrapped = Bodies.optionalWraps(b);
        for (String recordId : rewrapped.keySet()) {
            if (!state.readersOf(recordId).contains(user.id())) {
                throw new Rejected("record " + recordId + " is not wrapped for " + user.id());
            }
        }
        User rotated = user.withKeys(keys[0], keys[1]);
        return () -> {
            state.putUser(rotated);
            for (var e : rewrapped.entrySet()) {
                state.putWrap(e.getKey(), user.id(), e.getValue());
            }
        };
    }

    Runnable eraseRecord(SignedTransaction tx) {
        User author = parties.author(tx);
        ClinicalRecord r = state.record(tx.body().string("recordId"));
        String legalBasis = tx.body().string("legalBasis").strip();
        if (r == null) {
            throw new Rejected("unknown record " + tx.body().string("recordId"));
        }
        User patient = state.user(r.patient());
        if (!author.actsFor(patient)) {
            throw new Rejected("only the patient or an administrator of " + patient.organisation() + " erases a record");
        }
        if (r.erased()) {
            throw new Rejected("record " + r.id() + " is already erased");
        }
        if (legalBasis.length() < 5) {
            throw new Rejected("erasure needs its legal basis (e.g. GDPR Art. 17 request reference)");
        }
        return () -> {
            state.putRecord(r.erase());
            state.removeWrapsOfRecord(r.id()); // crypto-shredding: no reader can unwrap the data key any more
            state.erased(r.id());
        };
    }
}
