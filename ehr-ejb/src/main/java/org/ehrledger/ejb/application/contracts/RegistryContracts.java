package org.ehrledger.ejb.application.contracts;

import java.util.Set;
import java.util.TreeMap;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * The registry: admitting organisations (the genesis one by its own first administrator, later ones by a
 * majority of the members), registering staff and patients with keys their organisation's CA certified,
 * and revoking a certificate. Part of {@link Contracts}: every check before the returned change.
 */
final class RegistryContracts {

    private final WorldState state;
    private final Parties parties;

    RegistryContracts(WorldState state, Parties parties) {
        this.state = state;
        this.parties = parties;
    }

    Runnable registerOrganisation(SignedTransaction tx, long now) {
        Fields b = tx.body();
        String orgId = Bodies.id(b, "organisation");
        String adminId = Bodies.id(b, "adminId");
        byte[] ca = b.bytes("caCertificate");
        byte[] signing = b.bytes("adminSigningKey");
        byte[] encryption = b.bytes("adminEncryptionKey");
        User proposer = null;
        if (state.organisationCount() == 0) {
            // Genesis: the network's first organisation is registered by its own first administrator.
            if (!tx.author().equals(adminId)) {
                throw new Rejected("the genesis organisation is registered by its first administrator");
            }
            Parties.requireSelfSigned(tx, signing);
        } else {
            proposer = parties.author(tx);
            if (proposer.role() != Role.ADMIN) {
                throw new Rejected("only an administrator registers organisations");
            }
        }
        if (state.organisation(orgId) != null) {
            throw new Rejected("organisation " + orgId + " already exists");
        }
        if (state.user(adminId) != null) {
            throw new Rejected("user id " + adminId + " is taken");
        }
        Parties.requireCertified(b.bytes("adminSigningCertificate"), ca, signing, now, "administrator signing key", adminId,
                Role.ADMIN);
        Parties.requireCertified(b.bytes("adminEncryptionCertificate"), ca, encryption, now, "administrator encryption key",
                adminId, Role.ADMIN);
        Parties.key("X25519", encryption);
        parties.requireUnusedKeys(new byte[][] {signing, encryption}, adminId);
        byte[] custodian = b.bytes("custodianKey", null);
        if (custodian != null) {
            Parties.key("X25519", custodian);
        }
        Organisation org = new Organisation(orgId, b.string("name"), ca, custodian);
        User admin = new User(adminId, Role.ADMIN, orgId, signing, encryption, false);
        Runnable admit = () -> {
            state.putOrganisation(org);
            state.putUser(admin);
            state.clearAdmissionVotes(orgId);
        };
        if (proposer == null) {
            return admit;
        }
        // A majority of the member organisations must propose the very same admission, each through one
        // of its administrators, so no single administrator can create organisations (and their votes).
        String from = proposer.organisation();
        Digest proposal = Digest.sha256(b.encode());
        int required = Organisation.admissionMajority(state.organisationCount());
        return () -> {
            state.putAdmissionVote(orgId, from, proposal);
            TreeMap<String, Digest> votes = state.admissionVotesHeld(orgId);
            long agreeing = votes.values().stream().filter(proposal::equals).count();
            if (agreeing >= required) {
                admit.run();
            }
        };
    }

    Runnable registerStaff(SignedTransaction tx, long now, Set<Role> allowed) {
        User author = parties.author(tx);
        Fields b = tx.body();
        String userId = Bodies.id(b, "userId");
        Role role = Bodies.role(b.string("role"));
        if (!allowed.contains(role)) {
            throw new Rejected(tx.type() + " cannot register the role " + role);
        }
        if (author.role() != Role.ADMIN) {
            throw new Rejected("only an administrator registers staff");
        }
        Organisation org = state.organisation(author.organisation());
        if (state.user(userId) != null) {
            throw new Rejected("user id " + userId + " is taken");
        }
        byte[][] keys = Parties.certifiedKeys(b, org, now, userId, role);
        parties.requireUnusedKeys(keys, userId);
        User u = new User(userId, role, org.id(), keys[0], keys[1], false, author.id(), null, false);
        return () -> state.putUser(u);
    }

    Runnable registerPatient(SignedTransaction tx, long now) {
        Fields b = tx.body();
        String patientId = Bodies.checkId(tx.author(), "patient id");
        if (state.user(patientId) != null) {
            throw new Rejected("user id " + patientId + " is taken");
        }
        Organisation org = state.organisation(b.string("organisation"));
        if (org == null) {
            throw new Rejected("unknown organisation " + b.string("organisation"));
        }
        Parties.requireSelfSigned(tx, b.bytes("signingKey"));
        byte[][] keys = Parties.certifiedKeys(b, org, now, patientId, Role.PATIENT);
        parties.requireUnusedKeys(keys, patientId);
        User u = new User(patientId, Role.PATIENT, org.id(), keys[0], keys[1], false);
        return () -> state.putUser(u);
    }

    Runnable revokeCertificate(SignedTransaction tx) {
        User author = parties.author(tx);
        User target = state.user(tx.body().string("userId"));
        if (target == null) {
            throw new Rejected("unknown user " + tx.body().string("userId"));
        }
        if (!author.actsFor(target)) {
            throw new Rejected("only the user or an administrator of " + target.organisation() + " revokes this certificate");
        }
        if (target.revoked()) {
            throw new Rejected("the certificate of " + target.id() + " is already revoked");
        }
        return () -> {
            state.putUser(target.revoke());
            // A revoked identity reads nothing any more: its key wraps go (its own records keep the patient's).
            state.removeWrapsOfReader(target.id());
        };
    }
}
