package org.ehrledger.ejb.application.contracts;

import java.util.EnumSet;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * Executes transactions against a {@link WorldState}. Every check happens before the first change, so
 * a rejected transaction changes nothing; the only inputs are the transaction bytes, the state and the
 * consensus timestamp, so every replica reaches the same verdict.
 *
 * <p>This class decodes, dispatches by type, remembers executed transactions and checks a record's
 * content; the rules live in one class per family: {@link RegistryContracts} and {@link IdentityContracts}
 * (registry and identities), {@link RecordContracts}, {@link ConsentContracts}, {@link AccessContracts}
 * (reads, break-glass, the emergency state), {@link BillingContracts}, {@link KeyContracts} (keys and
 * erasure) and {@link ImportContracts} (whole-history imports, staged then published). Who may read what is the {@link AccessPolicy}'s decision, which they all ask.
 */
public final class Contracts {

    private final WorldState state;
    private final RegistryContracts registry;
    private final IdentityContracts identities;
    private final RecordContracts records;
    private final ConsentContracts consents;
    private final AccessContracts access;
    private final BillingContracts billing;
    private final KeyContracts keys;
    private final ImportContracts imports;

    /** Contracts over a state. */
    public Contracts(WorldState state) {
        this.state = state;
        Parties parties = new Parties(state);
        AccessPolicy policy = state.access();
        this.registry = new RegistryContracts(state, parties);
        this.identities = new IdentityContracts(state, parties);
        this.imports = new ImportContracts(state, parties, policy);
        this.records = new RecordContracts(state, parties, policy, imports);
        this.consents = new ConsentContracts(state, parties, policy);
        this.access = new AccessContracts(state, parties, policy);
        this.billing = new BillingContracts(state, parties, policy);
        this.keys = new KeyContracts(state, parties);
    }

    /** Executes one ordered transaction without content at consensus time {@code now} (epoch milliseconds). */
    public Outcome execute(byte[] transaction, long now) {
        return execute(transaction, null, now);
    }

    /**
     * Executes one ordered transaction at consensus time {@code now}; {@code content} is the ciphertext a
     * record transaction commits to by hash and size (null for other types).
     */
    public Outcome execute(byte[] transaction, byte[] content, long now) {
        return run(transaction, content, now, false);
    }

    private Outcome run(byte[] transaction, byte[] content, long now, boolean replaying) {
        SignedTransaction tx;
        try {
            tx = SignedTransaction.decode(transaction);
        } catch (MalformedMessageException | IllegalArgumentException e) {
            return Outcome.rejected("malformed transaction: " + e.getMessage());
        }
        Digest id = Digest.sha256(transaction);
        if (state.seen(id)) {
            return Outcome.rejected("replayed transaction " + id);
        }
        Runnable apply;
        try {
            apply = validate(tx, now, id.hex());
        } catch (Rejected r) {
            state.markSeen(id);
            return Outcome.rejected(r.getMessage());
        } catch (Fields.FieldException e) {
            state.markSeen(id);
            return Outcome.rejected("invalid " + tx.type() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            // Defensive: no input may escape as an exception; the reason must not depend on the environment.
            state.markSeen(id);
            return Outcome.rejected("invalid " + tx.type() + ": the transaction could not be processed");
        }
        if (tx.type().carriesContent() && !replaying) {
            // Checked last and not remembered: the content is not signed, so a wrong one must not let
            // anyone burn a victim's signed transaction.
            String problem = contentProblem(tx.body(), content);
            if (problem != null) {
                return Outcome.rejected(CONTENT_REFUSAL + problem);
            }
        }
        state.markSeen(id);
        apply.run();
        return Outcome.ok();
    }

    /** Prefix of every refusal about a record's content (not remembered, reproduced as recorded on replay). */
    public static final String CONTENT_REFUSAL = "record content refused: ";

    /**
     * Re-executes a transaction recorded in a certified block. A recorded content refusal is reproduced
     * as recorded (content may since have been erased); everything else runs through the contracts again.
     */
    public Outcome replay(byte[] transaction, long now, boolean recordedAccepted, String recordedReason) {
        if (!recordedAccepted && recordedReason.startsWith(CONTENT_REFUSAL)) {
            return Outcome.rejected(recordedReason);
        }
        return run(transaction, null, now, true);
    }

    /**
     * Checks everything and returns the change to apply; throws {@link Rejected} otherwise. {@code txId} (hex
     * SHA-256 of the transaction) keys the rows a transaction adds to logs.
     */
    private Runnable validate(SignedTransaction tx, long now, String txId) {
        return switch (tx.type()) {
            case REGISTER_ORGANISATION -> registry.registerOrganisation(tx, now);
            case REGISTER_ADMIN -> registry.registerStaff(tx, now, EnumSet.of(Role.ADMIN));
            case REGISTER_PRACTITIONER -> registry.registerStaff(tx, now, EnumSet.of(Role.PRACTITIONER, Role.BILLING));
            case REGISTER_PATIENT -> registry.registerPatient(tx, now);
            case REVOKE_CERTIFICATE -> registry.revokeCertificate(tx);
            case CONFIRM_REGISTRATION -> identities.confirmRegistration(tx);
            case REQUEST_RECOVERY -> identities.requestRecovery(tx, now);
            case APPROVE_RECOVERY -> identities.approveRecovery(tx, now);
            case COMPLETE_RECOVERY -> identities.completeRecovery(tx, now);
            case UPDATE_DEMOGRAPHICS -> records.addRecord(tx, now, Category.DEMOGRAPHICS);
            case ADD_RECORD -> records.addRecord(tx, now, null);
            case PRESCRIBE -> records.addRecord(tx, now, Category.PRESCRIPTION);
            case GRANT_CONSENT -> consents.grant(tx, now);
            case REVOKE_CONSENT -> consents.revoke(tx, now);
            case RECORD_ACCESS -> access.recordAccess(tx, now, txId);
            case OPEN_BREAK_GLASS -> access.openBreakGlass(tx, now, txId);
            case DECLARE_EMERGENCY -> access.emergencyVote(tx, now, true);
            case END_EMERGENCY -> access.emergencyVote(tx, now, false);
            case ACKNOWLEDGE_BILLED -> billing.acknowledgeBilled(tx, now);
            case ROTATE_KEY -> keys.rotateKey(tx, now);
            case ERASE_RECORD -> keys.eraseRecord(tx);
            case BEGIN_IMPORT -> imports.begin(tx, now);
            case PUBLISH_IMPORT -> imports.publish(tx, now);
            case ABORT_IMPORT -> imports.abort(tx, now);
        };
    }

    private static String contentProblem(Fields body, byte[] content) {
        if (content == null) {
            return "the record's content must follow the transaction in the same request";
        }
        if (content.length != body.number("size") || !Digest.sha256(content).equals(Digest.of(body.bytes("contentHash")))) {
            return "the content does not match the record's hash and size";
        }
        return null;
    }
}
