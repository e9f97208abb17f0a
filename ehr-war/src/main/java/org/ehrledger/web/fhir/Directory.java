package org.ehrledger.web.fhir;

import java.util.List;

import jakarta.ws.rs.core.MultivaluedMap;

import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.application.service.PractitionerService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * The directory: the registry's practitioners and member organisations as Practitioner and Organization, and
 * each organisation's group of patients (the patients who consented to it) as a Group.
 * (A Practitioner or Organization that came in a patient's bundle is kept as that patient's reference data,
 * {@link Records}; a search naming a patient finds those.)
 */
final class Directory {

    private final FhirRequest request;

    Directory(FhirRequest request) {
        this.request = request;
    }

    /** A practitioner; anyone else (a patient, other staff, nobody) is answered alike, so that no id is revealed. */
    Practitioner practitioner(String id) {
        NetworkService.Person p;
        try {
            p = request.network().person(id);
        } catch (EhrException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            p = null;
        }
        if (p == null || !p.role().equals(Role.PRACTITIONER.name())) {
            throw FhirException.notFound("no practitioner " + id);
        }
        return practitioner(p);
    }

    /** A member organisation. */
    Organization organisation(String id) {
        return request.network().organisations().stream().filter(m -> m.id().equals(id)).findFirst()
                .map(Directory::organisation).orElseThrow(() -> FhirException.notFound("no organisation " + id));
    }

    /**
     * A member organisation's group of patients ({@code Group/<organisation id>}): the patients who gave the
     * whole organisation a consent in force, for its own practitioners ({@link PractitionerService#group}).
     */
    Group group(String organisationId, java.util.Set<Category> categories) {
        return group(groupEntitled(organisationId, categories));
    }

    /** The group, once the caller is found to read every member's {@code categories} under consent (403 otherwise). */
    PractitionerService.OrganisationGroup groupEntitled(String organisationId, java.util.Set<Category> categories) {
        if (!request.is(Role.PRACTITIONER)) {
            throw FhirException.forbidden("an organisation's group of patients is for its practitioners");
        }
        return request.practitioners().group(organisationId, categories);
    }

    static Group group(PractitionerService.OrganisationGroup g) {
        Group r = new Group();
        r.setId("Group/" + g.organisation());
        r.addIdentifier().setSystem(Resources.ORGANISATION_SYSTEM).setValue(g.organisation());
        r.setActive(true).setType(Group.GroupType.PERSON).setActual(true)
                .setName(g.name() + ": patients who consented to the organisation")
                .setManagingEntity(new Reference("Organization/" + g.organisation())).setQuantity(g.patients().size());
        for (String patient : g.patients()) {
            r.addMember().setEntity(new Reference("Patient/" + patient));
        }
        return r;
    }

    /** Practitioners by {@code _id} or {@code identifier}, else the caller's organisation's. */
    List<Resource> searchPractitioners(MultivaluedMap<String, String> q) {
        Search.allow(q, "_id", "identifier");
        String id = Search.first(q, "_id", Search.token(q.getFirst("identifier"), Resources.USER_SYSTEM));
        if (id != null) {
            return List.of(practitioner(id));
        }
        String org = request.network().person(request.caller()).organisation();
        return request.network().staffOf(org).stream().filter(p -> p.role().equals(Role.PRACTITIONER.name()))
                .map(p -> (Resource) practitioner(p)).toList();
    }

    /** Member organisations, all or by {@code _id} or {@code identifier}. */
    List<Resource> searchOrganisations(MultivaluedMap<String, String> q) {
        Search.allow(q, "_id", "identifier");
        String id = Search.first(q, "_id", Search.token(q.getFirst("identifier"), Resources.ORGANISATION_SYSTEM));
        return request.network().organisations().stream().filter(m -> id == null || m.id().equals(id))
                .map(m -> (Resource) organisation(m)).toList();
    }

    static Practitioner practitioner(NetworkService.Person p) {
        Practitioner r = new Practitioner();
        r.setId("Practitioner/" + p.userId());
        r.addIdentifier().setSystem(Resources.USER_SYSTEM).setValue(p.userId());
        r.setActive(!p.revoked());
        if (!p.name().isEmpty()) {
            r.addName().setText(p.name());
        }
        return r;
    }

    static Organization organisation(NetworkService.Member m) {
        Organization o = new Organization();
        o.setId("Organization/" + m.id());
        o.addIdentifier().setSystem(Resources.ORGANISATION_SYSTEM).setValue(m.id());
        o.setActive(true).setName(m.name());
        return o;
    }
}
