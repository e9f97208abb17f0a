package org.ehrledger.web.portal;

import java.io.Serializable;
import java.util.List;

import jakarta.faces.view.ViewScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import org.ehrledger.ejb.application.service.AdminService;
import org.ehrledger.ejb.domain.model.registry.Role;

/** The administrator's pages: people, organisations and the emergency state. */
@Named("admin")
@ViewScoped
public class AdminBean implements Serializable {

    private static final long serialVersionUID = 1L;

    @EJB
    AdminService admin;

    @Inject
    org.ehrledger.ejb.application.service.EnrolmentService enrolments;

    private String newUserId;
    private String newName;
    private String newRole = Role.PRACTITIONER.name();
    /** The enrolment code just issued (registration or re-issue), shown once. */
    private org.ehrledger.ejb.application.service.Enrolment.IssuedCode issued;
    private List<AdminService.StaffMember> people;
    private String admissionRequest;
    private AdminService.Emergency emergency;
    private String emergencyReason;
    private long emergencyMinutes = 240;

    /** Registers a staff member; their one-time enrolment code is shown once. */
    public String register() {
        AdminService.StaffRegistered registered = Portal.attempt(() -> admin.registerStaff(
                newUserId == null ? null : newUserId.strip(), newName, newRole));
        if (registered != null) {
            issued = registered.enrolment();
            Portal.info(registered.userId() + " is registered as " + registered.role() + " (block "
                    + registered.committed().height() + "). Hand over the enrolment code below; it is shown only once.");
            newUserId = null;
            newName = null;
            people = null;
        }
        return null;
    }

    /** Issues a new enrolment code for someone who has not enrolled yet (the previous one stops working). */
    public String reissue(String userId) {
        var code = Portal.attempt(() -> enrolments.reissue(userId));
        if (code != null) {
            issued = code;
            Portal.info("A new enrolment code for " + userId + " is below; the previous one no longer works.");
        }
        return null;
    }

    public String suspend(String userId, boolean suspended) {
        if (Portal.attempt(() -> admin.suspend(userId, suspended))) {
            Portal.info(suspended ? userId + " is suspended: signed out now and cannot sign in here."
                    : userId + " may sign in again.");
            people = null;
        }
        return null;
    }

    public String revoke(String userId) {
        var c = Portal.attempt(() -> admin.revokeCertificate(userId));
        if (c != null) {
            Portal.info("The certificate of " + userId + " is revoked network-wide (block " + c.height()
                    + "). Their later transactions are refused.");
            people = null;
        }
        return null;
    }

    public String admit() {
        AdminService.AdmissionVote admission = Portal.attempt(() -> admin.admitOrganisation(admissionRequest));
        if (admission != null) {
            Portal.info(admission.admitted() ? admission.organisation() + " is now a member organisation."
                    : "Your vote for " + admission.organisation() + " is recorded: " + admission.votes() + " of "
                    + admission.required() + " organisations so far.");
            admissionRequest = null;
        }
        return null;
    }

    public String declare() {
        AdminService.Emergency e = Portal.attempt(() -> admin.declareEmergency(emergencyReason, emergencyMinutes));
        if (e != null) {
            emergency = e;
            Portal.info(e.active() ? "The emergency state is in force until the time shown."
                    : "Your vote is recorded. The emergency state needs administrators of " + e.quorum()
                    + " organisations; the others see your vote as pending.");
            emergencyReason = null;
        }
        return null;
    }

    public String end() {
        AdminService.Emergency e = Portal.attempt(() -> admin.endEmergency(emergencyReason));
        if (e != null) {
            emergency = e;
            Portal.info(e.active() ? "Your vote to end it is recorded; it needs administrators of " + e.quorum()
                    + " organisations." : "The emergency state has ended.");
            emergencyReason = null;
        }
        return null;
    }

    public List<AdminService.StaffMember> getPeople() {
        if (people == null) {
            people = admin.people();
        }
        return people;
    }

    public List<AdminService.Member> getOrganisations() {
        return admin.organisations();
    }

    public AdminService.Emergency getEmergency() {
        if (emergency == null) {
            emergency = admin.emergency();
        }
        return emergency;
    }

    public org.ehrledger.ejb.application.service.Enrolment.IssuedCode getIssued() { return issued; }
    public String getNewUserId() { return newUserId; }
    public void setNewUserId(String v) { newUserId = v; }
    public String getNewName() { return newName; }
    public void setNewName(String v) { newName = v; }
    public String getNewRole() { return newRole; }
    public void setNewRole(String v) { newRole = v; }
    public String getAdmissionRequest() { return admissionRequest; }
    public void setAdmissionRequest(String v) { admissionRequest = v; }
    public String getEmergencyReason() { return emergencyReason; }
    public void setEmergencyReason(String v) { emergencyReason = v; }
    public long getEmergencyMinutes() { return emergencyMinutes; }
    public void setEmergencyMinutes(long v) { emergencyMinutes = v; }
}
