package org.ehrledger.ejb.domain.model.access;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;

/**
 * The one rule of who may read what: a patient reads their own record; practitioners read under the
 * patient's consent, their own open break-glass grant for the patient, or the network emergency state;
 * billing staff read billing-relevant categories under a consent only; administrators never read clinical
 * content; a revoked identity reads nothing. A record's key is wrapped for the patient, its author, every
 * user a consent in force lets read it, and the custodian of the patient's organisation (which serves a
 * reader only on a basis committed on chain).
 *
 * <p>Deterministic: it decides from the {@link Facts} and the consensus time it is given, so the
 * contracts reach the same verdict on every replica and the read paths answer as the contracts would.
 */
public final class AccessPolicy {

    /** The facts the policy decides from (the ledger's world state on a replica; a map in a test). */
    public interface Facts {

        /** A user, or null. */
        User user(String id);

        /** An organisation, or null. */
        Organisation organisation(String id);

        /** A patient's consents (in force, expired and revoked), in id order. */
        List<Consent> consentsOf(String patient);

        /** The consents naming a grantee (a user id, or {@code org:<id>}), in id order. */
        List<Consent> consentsNaming(String grantee);

        /** Every break-glass grant opened for a patient, open or closed. */
        List<BreakGlass> breakGlassOf(String patient);

        /** The network emergency state ({@link EmergencyState#NONE} if none was declared). */
        EmergencyState emergency();
    }

    private final Facts facts;

    /** The policy over a set of facts. */
    public AccessPolicy(Facts facts) {
        this.facts = facts;
    }

    /** Why a user (by id) may read a category of a patient's records at {@code now}, or null. */
    public AccessBasis basis(String readerId, String patient, Category category, long now) {
        User reader = facts.user(readerId);
        return reader == null ? null : basis(reader, patient, category, now);
    }

    /**
     * Why {@code reader} may read {@code category} of {@code patient} at {@code now}, or null. A consent is
     * the basis before break-glass, and break-glass before the emergency state.
     */
    public AccessBasis basis(User reader, String patient, Category category, long now) {
        if (reader.revoked()) {
            return null;
        }
        if (reader.role() == Role.PATIENT) {
            return reader.id().equals(patient) ? AccessBasis.OWNER : null;
        }
        if (!readsUnderConsent(reader.role(), category)) {
            return null;
        }
        for (Consent c : facts.consentsOf(patient)) {
            if (c.covers(reader.id(), reader.organisation(), category, now)) {
                return AccessBasis.CONSENT;
            }
        }
        if (reader.role() == Role.PRACTITIONER) {
            if (openBreakGlass(reader.id(), patient, now) != null) {
                return AccessBasis.BREAK_GLASS;
            }
            if (facts.emergency().inForceAt(now)) {
                return AccessBasis.EMERGENCY;
            }
        }
        return null;
    }

    /**
     * Whether a role reads a category under a consent that covers it: practitioners every category, billing
     * staff the billing-relevant ones; administrators and other patients never.
     */
    public static boolean readsUnderConsent(Role role, Category category) {
        return role == Role.PRACTITIONER || (role == Role.BILLING && category.billingRelevant());
    }

    /** Whether a consent can let a user of this role read anything at all (practitioners and billing staff). */
    public static boolean readsUnderSomeConsent(Role role) {
        for (Category c : Category.values()) {
            if (readsUnderConsent(role, c)) {
                return true;
            }
        }
        return false;
    }

    /** Whether this one consent lets a user read a category at {@code now} (the consent basis of {@link #basis}). */
    public static boolean consentLets(User user, Consent consent, Category category, long now) {
        return !user.revoked() && readsUnderConsent(user.role(), category)
                && consent.covers(user.id(), user.organisation(), category, now);
    }

    /** The practitioner's break-glass grant for a patient open at {@code now} that lasts longest, or null. */
    public BreakGlass openBreakGlass(String practitioner, String patient, long now) {
        BreakGlass best = null;
        for (BreakGlass g : facts.breakGlassOf(patient)) {
            if (g.practitioner().equals(practitioner) && g.openAt(now) && (best == null || g.until() > best.until())) {
                best = g;
            }
        }
        return best;
    }

    /** Consents in force at {@code now} whose grantee is the user or the user's organisation, in id order. */
    public List<Consent> consentsGrantedTo(User user, long now) {
        TreeMap<String, Consent> out = new TreeMap<>();
        for (String grantee : List.of(user.id(), Consent.ORGANISATION + user.organisation())) {
            for (Consent c : facts.consentsNaming(grantee)) {
                if (c.inForceAt(now)) {
                    out.put(c.id(), c);
                }
            }
        }
        return List.copyOf(out.values());
    }

    /**
     * The patients who gave the whole organisation a consent in force at {@code now}, in id order: the
     * organisation's group of patients (FHIR {@code Group/<organisation id>}).
     */
    public SortedSet<String> patientsConsentingTo(String organisation, long now) {
        SortedSet<String> out = new TreeSet<>();
        for (Consent c : facts.consentsNaming(Consent.ORGANISATION + organisation)) {
            if (c.inForceAt(now)) {
                out.add(c.patient());
            }
        }
        return out;
    }

    /**
     * The categories of {@code categories} that no consent in force lets {@code reader} read of {@code patient}
     * at {@code now} (break-glass and the emergency state do not count): empty when the reader is entitled to all
     * of them under the patient's consents, as a bulk export of a group requires.
     */
    public Set<Category> notConsented(User reader, String patient, Set<Category> categories, long now) {
        Set<Category> out = EnumSet.noneOf(Category.class);
        for (Category c : categories) {
            if (basis(reader, patient, c, now) != AccessBasis.CONSENT) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Who a new record of a patient is wrapped for, each with their X25519 public key, in reader order: the
     * patient, its author, every user a consent in force lets read the category, and the custodian of the
     * patient's organisation if it registered a key.
     */
    public SortedMap<String, byte[]> keyReaders(String patientId, String authorId, Category category, long now) {
        User patient = facts.user(patientId);
        SortedMap<String, byte[]> out = new TreeMap<>();
        out.put(patient.id(), patient.encryptionKey());
        User author = facts.user(authorId);
        if (author != null) {
            out.put(author.id(), author.encryptionKey());
        }
        for (User reader : consentReaders(patientId, category, now)) {
            out.put(reader.id(), reader.encryptionKey());
        }
        Organisation home = facts.organisation(patient.organisation());
        if (home != null && home.custodianKey() != null) {
            out.put(home.custodian(), home.custodianKey());
        }
        return out;
    }

    /** The users a consent of the patient in force lets read a category at {@code now}, in consent order. */
    public List<User> consentReaders(String patient, Category category, long now) {
        List<User> out = new ArrayList<>();
        for (Consent c : facts.consentsOf(patient)) {
            User grantee = c.grantee().startsWith(Consent.ORGANISATION) ? null : facts.user(c.grantee());
            if (grantee != null && consentLets(grantee, c, category, now)) {
                out.add(grantee);
            }
        }
        return out;
    }

    /**
     * Whether a reader keeps their key wrap of a patient's record of a category once a consent is withdrawn:
     * the patient and the custodians always (a custodian serves readers only on a committed basis), a user
     * while they still have a basis.
     */
    public boolean keepsKey(String reader, String patient, Category category, long now) {
        if (reader.startsWith(Consent.ORGANISATION) || reader.equals(patient)) {
            return true;
        }
        User u = facts.user(reader);
        return u != null && basis(u, patient, category, now) != null;
    }

    /** Why {@code reader} is refused {@code category} of {@code patient}, saying what they can do about it. */
    public static String refusal(User reader, Category category, String patient) {
        if (reader.role() == Role.ADMIN) {
            return "administrators cannot read or write clinical content";
        }
        if (reader.role() == Role.PATIENT) {
            return "a patient reads only their own record, not the record of " + patient;
        }
        if (reader.role() == Role.BILLING) {
            return "billing staff see only billing-relevant items under a billing consent of " + patient;
        }
        return "no consent of " + patient + " covers " + category + " for " + reader.id()
                + "; ask the patient for consent, or open break-glass access with a reason";
    }
}
