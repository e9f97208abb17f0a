package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Logger;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.registry.Recovery;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.AccountStore;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

/**
 * Recovery of a person who lost their password, without anyone reading their record. One administrator
 * of their organisation requests it and a second approves it, each on chain and each receiving one half
 * of the completion code to hand to the person; the approval retires the old keys at once. The person
 * completes it here with both halves and a new password: new keys are generated and sealed on this
 * replica, certified by the organisation's CA, and their records re-wrapped for them by the organisation's
 * custodian. The administrators' sessions never hold a record key.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class RecoveryService {

    private static final Logger LOG = Logger.getLogger(RecoveryService.class.getName());

    @Inject
    Caller caller;

    @Inject
    AccountStore accounts;

    @Inject
    Enrolment enrolment;

    @Inject
    KeyRenewal renewal;

    @Inject
    LedgerRuntime ledger;

    @Inject
    LedgerWriter writer;

    @Inject
    CallerSessions sessions;

    /** One administrator's half of the completion code, shown once to hand to the person. */
    public record CodeHalf(String userId, String code, long validUntil, Committed committed) {
    }

    /** A recovery on chain as administrators and the person see it. */
    public record RecoveryView(String userId, String requestedBy, long requestedAt, String reason, String approvedBy,
                               long approvedAt, long completedAt) {

        static RecoveryView of(Recovery r) {
            return new RecoveryView(r.userId(), r.requestedBy(), r.requestedAt(), r.reason(),
                    r.approvedBy() == null ? "" : r.approvedBy(), r.approvedAt(), r.completedAt());
        }
    }

    /** Asks (as the first administrator) to recover the identity of a person of the caller's organisation. */
    @RolesAllowed("ADMIN")
    public CodeHalf request(String userId, String reason) {
        String id = Inputs.text("user id", userId, 64);
        String why = Inputs.text("reason", reason, 500);
        return commitHalf(id, TxType.REQUEST_RECOVERY, Fields.builder().put("userId", id).put("reason", why));
    }

    /** Approves (as a second administrator) a pending recovery: the person's old keys stop at once. */
    @RolesAllowed("ADMIN")
    public CodeHalf approve(String userId) {
        String id = Inputs.text("user id", userId, 64);
        CodeHalf half = commitHalf(id, TxType.APPROVE_RECOVERY, Fields.builder().put("userId", id));
        sessions.closeAllOf(id);
        return half;
    }

    private CodeHalf commitHalf(String userId, TxType type, Fields.Builder body) {
        String code = new String(Enrolment.randomPassword());
        Committed c = writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(), type,
                body.put("codeHash", hash(code)).build()), null));
        LOG.info(() -> caller.id() + (type == TxType.REQUEST_RECOVERY ? " requested" : " approved") + " a recovery of " + userId);
        return new CodeHalf(userId, code, System.currentTimeMillis() + Recovery.STEP_MILLIS, c);
    }

    /** Pending recoveries of the caller's organisation. */
    @RolesAllowed("ADMIN")
    public List<RecoveryView> pending() {
        String me = caller.id();
        return ledger.query(s -> s.pendingRecoveriesOf(s.user(me).organisation()).stream().map(RecoveryView::of).toList());
    }

    /** The caller's own recoveries: completed ones, oldest first, then a pending one. */
    @RolesAllowed({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
    public List<RecoveryView> mine() {
        String me = caller.id();
        return ledger.query(s -> {
            List<RecoveryView> out = new java.util.ArrayList<>(s.recoveriesOf(me).stream().map(RecoveryView::of).toList());
            Recovery pending = s.pendingRecovery(me);
            if (pending != null) {
                out.add(RecoveryView.of(pending));
            }
            return out;
        });
    }

    /** A completed recovery. */
    public record Completed(String userId, int recordsRewrapped, Committed committed) {
    }

    /**
     * Completes an approved recovery for a person whose account this replica holds: new keys sealed under
     * {@code password}, certified, registered on chain by a transaction the new key signs, with the
     * person's records re-wrapped by the custodian.
     *
     * @throws EhrException {@link ErrorCode#FORBIDDEN} (the same answer for an unknown person, no approved
     *                      recovery and wrong codes), {@link ErrorCode#INVALID_INPUT} for a weak password
     */
    @PermitAll
    public Completed complete(String userId, String requestCode, String approvalCode, char[] password) {
        Inputs.password(password);
        String id = userId == null ? "" : userId.strip();
        AccountRow account = id.isEmpty() || id.length() > 64 ? null : accounts.find(id);
        Recovery pending = account == null ? null : ledger.query(s -> {
            User u = s.user(id);
            Recovery r = s.pendingRecovery(id);
            return u != null && u.recovering() && r != null && r.approved() ? r : null;
        });
        if (pending == null || requestCode == null || approvalCode == null
                || !hashOf(requestCode.strip()).equals(pending.requestCode())
                || !hashOf(approvalCode.strip()).equals(pending.approvalCode())) {
            throw new EhrException(ErrorCode.FORBIDDEN, "no approved recovery of this account matches these codes");
        }
        Enrolment.Enrolled renewed = newCredentials(id, Role.valueOf(account.role()), password);
        List<String> wraps = renewal.withCustodian(id, renewed.keys().encryption().getPublic());
        Fields body = renewed.putPublic(Fields.builder().put("userId", id).put("requestCode", requestCode.strip())
                .put("approvalCode", approvalCode.strip()).put("wraps", wraps), "").build();
        Committed c = writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(renewed.keys(), id,
                TxType.COMPLETE_RECOVERY, body), null));
        accounts.reseal(id, renewed.sealedKeys());
        sessions.closeAllOf(id);
        LOG.info(() -> "the recovery of " + id + " completed with " + wraps.size() + " records re-wrapped");
        return new Completed(id, wraps.size(), c);
    }

    /**
     * The seam where recovery gets the person's new credentials: today keys sealed under the password they
     * chose at completion (an enrolment code could take its place).
     */
    private Enrolment.Enrolled newCredentials(String userId, Role role, char[] password) {
        return enrolment.enrol(userId, role, password);
    }

    private static byte[] hash(String code) {
        return hashOf(code).bytes();
    }

    private static Digest hashOf(String code) {
        return Digest.sha256(code.getBytes(StandardCharsets.UTF_8));
    }
}
