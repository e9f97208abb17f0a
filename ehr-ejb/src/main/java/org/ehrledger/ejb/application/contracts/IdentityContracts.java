package org.ehrledger.ejb.application.contracts;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Recovery;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * The contracts that need two administrators of an organisation: confirming a registration another
 * administrator made (the two-person rule for break-glass), and recovering the identity of a person who
 * lost their password (one requests, a second approves, the person completes with new keys). Part of
 * {@link Contracts}: the same all-checks-before-any-change discipline.
 */
final class IdentityContracts {

    private final WorldState state;
    private final Parties parties;

    IdentityContracts(WorldState state, Parties parties) {
        this.state = state;
        this.parties = parties;
    }

    /** The administrator signing, who must belong to the organisation of {@code subject} and not be them. */
    private User secondAdministrator(SignedTransaction tx, User subject, String what) {
        User admin = parties.author(tx);
        if (admin.role() != Role.ADMIN || !admin.organisation().equals(subject.organisation())) {
            throw new Rejected("only an administrator of " + subject.organisation() + " " + what);
        }
        if (admin.id().equals(subject.id())) {
            throw new Rejected("nobody " + what + " for themselves");
        }
        return admin;
    }

    private User user(Fields b) {
        User u = state.user(b.string("userId"));
        if (u == null) {
            throw new Rejected("unknown user " + b.string("userId"));
        }
        if (u.revoked()) {
            throw new Rejected("the certificate of " + u.id() + " is revoked");
        }
        return u;
    }

    Runnable confirmRegistration(SignedTransaction tx) {
        User target = user(tx.body());
        User admin = secondAdministrator(tx, target, "confirms a registration");
        if (target.registeredBy() == null) {
            throw new Rejected(target.id() + " was not registered by an administrator; there is nothing to confirm");
        }
        if (target.confirmedBy() != null) {
            throw new Rejected("the registration of " + target.id() + " was already confirmed by " + target.confirmedBy());
        }
        if (admin.id().equals(target.registeredBy())) {
            throw new Rejected(admin.id() + " registered " + target.id()
                    + "; a second, different administrator confirms the registration");
        }
        User confirmed = target.confirm(admin.id());
        return () -> state.putUser(confirmed);
    }

    private static Digest codeHash(Fields b) {
        byte[] h = b.bytes("codeHash");
        if (h.length != Digest.LENGTH) {
            throw new Rejected("a recovery code is committed to by its SHA-256 hash");
        }
        return Digest.of(h);
    }

    Runnable requestRecovery(SignedTransaction tx, long now) {
        Fields b = tx.body();
        User target = user(b);
        User admin = secondAdministrator(tx, target, "requests a recovery");
        String reason = b.string("reason").strip();
        if (reason.length() < 10 || reason.length() > 500) {
            throw new Rejected("a recovery needs a reason of 10 to 500 characters");
        }
        Recovery pending = state.pendingRecovery(target.id());
        if (pending != null && now <= pending.deadline(Recovery.STEP_MILLIS)) {
            throw new Rejected("a recovery of " + target.id() + " requested by " + pending.requestedBy() + " is pending");
        }
        Recovery request = Recovery.requested(target.id(), admin.id(), now, reason, codeHash(b));
        return () -> state.putRecovery(request);
    }

    Runnable approveRecovery(SignedTransaction tx, long now) {
        Fields b = tx.body();
        User target = user(b);
        User admin = secondAdministrator(tx, target, "approves a recovery");
        Recovery pending = state.pendingRecovery(target.id());
        if (pending == null || pending.approved() || now > pending.deadline(Recovery.STEP_MILLIS)) {
            throw new Rejected("no recovery of " + target.id() + " waits for approval");
        }
        if (admin.id().equals(pending.requestedBy())) {
            throw new Rejected(admin.id() + " requested this recovery; a second, different administrator approves it");
        }
        Recovery approved = pending.approve(admin.id(), now, codeHash(b));
        User suspended = target.suspendForRecovery();
        return () -> {
            state.putRecovery(approved);
            state.putUser(suspended);
        };
    }

    /**
     * The person's new keys, self-signed with the new signing key and certified by the organisation's CA,
     * with both halves of the completion code, and the keys of their records re-wrapped for the new
     * encryption key ({@code "<recordId>:<base64>"}). Every wrap of the old key goes.
     */
    Runnable completeRecovery(SignedTransaction tx, long now) {
        Fields b = tx.body();
        User target = state.user(Bodies.id(b, "userId"));
        if (target == null || !tx.author().equals(target.id())) {
            throw new Rejected("a recovery is completed by the recovered person's new key");
        }
        Recovery pending = state.pendingRecovery(target.id());
        if (target.revoked() || !target.recovering() || pending == null || !pending.approved()
                || now > pending.deadline(Recovery.STEP_MILLIS)) {
            throw new Rejected("no approved recovery of " + target.id() + " waits for completion");
        }
        if (!matches(b.string("requestCode"), pending.requestCode())
                || !matches(b.string("approvalCode"), pending.approvalCode())) {
            throw new Rejected("the recovery codes do not match those the administrators committed to");
        }
        Parties.requireSelfSigned(tx, b.bytes("signingKey"));
        Organisation org = state.organisation(target.organisation());
        byte[][] keys = Parties.certifiedKeys(b, org, now, target.id(), target.role());
        parties.requireUnusedKeys(keys, target.id());
        Map<String, byte[]> rewrapped = Bodies.optionalWraps(b);
        for (String recordId : rewrapped.keySet()) {
            ClinicalRecord r = state.record(recordId);
            if (r == null || r.erased() || !(r.patient().equals(target.id()) || state.readersOf(recordId).contains(target.id()))) {
                throw new Rejected("record " + recordId + " is not one " + target.id() + " could read");
            }
        }
        User renewed = target.withKeys(keys[0], keys[1]);
        Recovery done = pending.complete(now);
        return () -> {
            state.putUser(renewed);
            state.removeWrapsOfReader(target.id());
            for (var e : rewrapped.entrySet()) {
                state.putWrap(e.getKey(), target.id(), e.getValue());
            }
            state.removeRecovery(target.id());
            state.addRecovered(done);
        };
    }

    private static boolean matches(String code, Digest committed) {
        return Digest.sha256(code.getBytes(StandardCharsets.UTF_8)).equals(committed);
    }
}
