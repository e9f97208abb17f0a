package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.util.logging.Logger;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.consensus.ReplicaConfig;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.crypto.WrongPasswordException;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.AccountStore;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;
import org.ehrledger.ejb.infrastructure.identity.OrganisationCa;

/**
 * Signing in and out, and the one-time bootstrap of this replica's organisation with its first
 * administrator.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class AccountService {

    private static final Logger LOG = Logger.getLogger(AccountService.class.getName());
    /** Name of the bootstrap secret the operator places in the data directory. */
    public static final String BOOTSTRAP_FILE = "bootstrap.token";

    @Inject
    AccountStore accounts;

    @Inject
    CallerSessions sessions;

    @Inject
    Enrolment enrolment;

    @Inject
    LedgerRuntime ledger;

    @Inject
    LedgerWriter writer;

    @Inject
    OrganisationCa organisation;

    @Inject
    ReplicaConfig config;

    @Inject
    SignInGate gate;

    /** Sealed keys nobody can open, so an unknown user id costs the same time as a wrong password. */
    private static volatile byte[] decoy;

    /**
     * Opens a session: the password opens the person's sealed keys. Five failures in a row lock the
     * account for a growing while (30 s, doubling, at most 15 minutes); a user id without an account locks
     * the same way. One sign-in of a user id is evaluated at a time ({@link SignInGate}).
     *
     * @throws EhrException {@link ErrorCode#UNAUTHENTICATED} for a wrong user id or password (the same
     *                      answer for both), {@link ErrorCode#TOO_MANY_ATTEMPTS} while locked,
     *                      {@link ErrorCode#FORBIDDEN} for a suspended account or revoked certificate
     */
    @PermitAll
    public SignedIn signIn(String userId, char[] password) {
        String id = userId == null || userId.length() > 64 ? null : userId.strip();
        if (id == null) {
            burn(password);
            throw wrongCredentials();
        }
        try (SignInGate.Pass evaluating = gate.enter(id)) {
            return signIn(id, password, System.currentTimeMillis());
        }
    }

    /** The sign-in of a user id held by the {@link SignInGate}: lock check, password and outcome at once. */
    private SignedIn signIn(String id, char[] password, long now) {
        AccountRow account = accounts.find(id);
        boolean plausible = password != null && password.length > 0 && password.length <= 256;
        if (account == null || !plausible) {
            if (account == null && plausible) {
                SignInGate.requireUnlocked(gate.unknownLockedUntil(id), now); // as if it were an account
                burn(password);
                gate.unknownFailed(id, now);
            } else {
                burn(password);
            }
            throw wrongCredentials();
        }
        SignInGate.requireUnlocked(account.lockedUntil(), now);
        if (enrolment.awaitsEnrolment(account.userId())) {
            refuseBeforeEnrolment(account.userId(), password, now);
        }
        UserKeys keys;
        try {
            keys = enrolment.open(account.sealedKeys(), password);
        } catch (WrongPasswordException e) {
            accounts.loginOutcome(account.userId(), false, now);
            LOG.info(() -> "failed sign-in for " + account.userId());
            throw wrongCredentials();
        }
        if (account.suspended()) {
            throw new EhrException(ErrorCode.FORBIDDEN, "this account is suspended; contact your administrator");
        }
        User onChain = ledger.query(s -> s.user(account.userId()));
        if (onChain == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your organisation " + account.organisation()
                    + " awaits admission by the member organisations; sign in once it is admitted");
        }
        if (onChain.revoked()) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your certificate was revoked; contact your administrator");
        }
        if (onChain.recovering()) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your keys were retired by an approved recovery; complete the "
                    + "recovery with the two codes your administrators gave you");
        }
        accounts.loginOutcome(account.userId(), true, now);
        String token = sessions.open(account.userId(), Role.valueOf(account.role()), account.organisation(),
                account.displayName(), keys);
        CallerSessions.Session s = sessions.find(token).orElseThrow();
        return new SignedIn(token, account.userId(), account.role(), account.organisation(), account.displayName(),
                s.expiresAt());
    }

    /**
     * Someone registered by another person has no password until they enrol: their enrolment code is told
     * to complete enrolment, anything else is a wrong password (counted, and answered as for anyone).
     */
    private void refuseBeforeEnrolment(String userId, char[] password, long now) {
        EhrException codeUsed = enrolment.codeInsteadOfPassword(userId, password);
        accounts.loginOutcome(userId, false, now);
        if (codeUsed != null) {
            throw codeUsed;
        }
        burn(password);
        throw wrongCredentials();
    }

    private void burn(char[] password) {
        byte[] d = decoy;
        if (d == null) {
            d = enrolment.enrol("decoy", Role.PATIENT, Enrolment.randomPassword()).sealedKeys();
            decoy = d;
        }
        try {
            enrolment.open(d, password == null || password.length == 0 ? new char[] {'x'} : password);
        } catch (CryptoException expected) {
            // always: the decoy opens with no password anyone knows
        }
    }

    private static EhrException wrongCredentials() {
        return new EhrException(ErrorCode.UNAUTHENTICATED, "wrong user id or password");
    }

    /** Ends the caller's session. */
    @RolesAllowed({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
    public void signOut(String token) {
        sessions.close(token);
    }

    /**
     * The first administrator of this replica's organisation, with their one-time enrolment code (shown once;
     * they enrol with it and choose their password, see {@link Enrolment}); and either the
     * genesis registration ({@code committed}) or, on a network that has organisations already, the
     * admission request ({@code admissionRequest}, base64, public keys and certificates only) that
     * administrators of a majority of the member organisations submit to admit this one.
     */
    public record Bootstrapped(String adminId, Enrolment.IssuedCode enrolment, String organisation, Committed committed,
                               String admissionRequest) {
    }

    /**
     * Registers this replica's organisation on the ledger together with its first administrator. Allowed
     * once, to whoever presents the secret the operator placed in {@code <data dir>/bootstrap.token}
     * (ci/cluster.sh does this); the file is deleted on success. On an empty ledger this is the genesis
     * organisation; later organisations need the approval of a majority of the member organisations.
     */
    @PermitAll
    public Bootstrapped bootstrap(String presentedSecret, String adminId, String adminName) {
        Path file = config.dataDir().resolve(BOOTSTRAP_FILE);
        byte[] expected;
        try {
            expected = Files.isRegularFile(file) ? Files.readString(file).strip().getBytes(StandardCharsets.UTF_8) : null;
        } catch (java.io.IOException e) {
            expected = null;
        }
        if (expected == null || expected.length < 16) {
            throw new EhrException(ErrorCode.FORBIDDEN, "bootstrap is closed on this replica (no " + BOOTSTRAP_FILE
                    + " in its data directory)");
        }
        if (presentedSecret == null
                || !MessageDigest.isEqual(expected, presentedSecret.strip().getBytes(StandardCharsets.UTF_8))) {
            throw new EhrException(ErrorCode.FORBIDDEN, "wrong bootstrap secret");
        }
        String id = Ids.requireUserId(adminId);
        String name = Inputs.text("name", adminName, 200);
        if (ledger.query(s -> s.organisation(config.organisationId())) != null) {
            throw new EhrException(ErrorCode.CONFLICT, "organisation " + config.organisationId()
                    + " is already registered; its administrators register further staff");
        }
        if (accounts.count(Role.ADMIN.name()) > 0) {
            throw new EhrException(ErrorCode.CONFLICT, "this replica already has an administrator awaiting admission");
        }
        if (accounts.find(id) != null) {
            throw new EhrException(ErrorCode.CONFLICT, "user id " + id + " is taken on this replica");
        }
        Enrolment.Pending pending = enrolment.register(id, Role.ADMIN);
        Enrolment.Enrolled admin = pending.enrolled();
        Fields body;
        try {
            body = admin.putPublic(Fields.builder().put("organisation", config.organisationId())
                            .put("name", config.organisationName())
                            .put("caCertificate", organisation.ca().certificate().getEncoded()).put("adminId", id)
                            .put("custodianKey", organisation.custodian().getPublic().getEncoded()), "admin")
                    .build();
        } catch (CertificateEncodingException e) {
            throw new CryptoException("cannot encode the organisation's CA certificate", e);
        }
        boolean genesis = ledger.query(s -> s.organisationCount()) == 0;
        Committed c = genesis ? writer.commit(new LedgerWriter.Signed(
                LedgerWriter.sign(admin.keys(), id, TxType.REGISTER_ORGANISATION, body), null)) : null;
        accounts.add(new AccountRow(id, Role.ADMIN.name(), config.organisationId(), name, admin.sealedKeys(),
                System.currentTimeMillis()));
        enrolment.awaitEnrolment(pending.code());
        try {
            Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            LOG.warning("could not delete " + file + "; delete it by hand");
        }
        LOG.info(() -> "organisation " + config.organisationId() + (genesis ? " registered" : " asks for admission")
                + " with administrator " + id);
        return new Bootstrapped(id, pending.code(), config.organisationId(), c,
                genesis ? null : java.util.Base64.getEncoder().encodeToString(body.encode()));
    }
}
