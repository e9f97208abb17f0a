package org.ehrledger.web.portal;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;

import jakarta.faces.view.ViewScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.ServletException;

import org.ehrledger.ejb.application.service.AdminService;
import org.ehrledger.ejb.application.service.CredentialService;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.application.service.RecoveryService;

/**
 * The two-person rules and the life of keys in the portal: administrators confirm registrations and
 * request or approve recoveries (each shown their half of the completion code once); everyone sees their
 * own recoveries and rotates their keys; patients erase a record.
 */
@Named("identity")
@ViewScoped
public class IdentityBean implements Serializable {

    private static final long serialVersionUID = 1L;

    @EJB
    AdminService admin;

    @EJB
    RecoveryService recovery;

    @EJB
    CredentialService credentials;

    @EJB
    RecordService records;

    @Inject
    UserBean user;

    private List<AdminService.StaffMember> awaiting;
    private List<RecoveryService.RecoveryView> pendingRecoveries;
    private List<RecoveryService.RecoveryView> mine;
    private String recoverUserId;
    private String recoverReason;
    private RecoveryService.CodeHalf codeHalf;
    private String password;
    private String legalBasis;
    private String eraseRecordId;

    /** Registrations another administrator made that a second one has yet to confirm. */
    public List<AdminService.StaffMember> getAwaitingConfirmation() {
        if (awaiting == null) {
            awaiting = admin.people().stream().filter(AdminService.StaffMember::awaitsConfirmation).toList();
        }
        return awaiting;
    }

    public String confirm(String userId) {
        var c = Portal.attempt(() -> admin.confirmRegistration(userId));
        if (c != null) {
            Portal.info("You confirmed the registration of " + userId + " (block " + c.height() + ").");
            awaiting = null;
        }
        return null;
    }

    public List<RecoveryService.RecoveryView> getPendingRecoveries() {
        if (pendingRecoveries == null) {
            pendingRecoveries = recovery.pending();
        }
        return pendingRecoveries;
    }

    public String requestRecovery() {
        codeHalf = Portal.attempt(() -> recovery.request(recoverUserId, recoverReason));
        if (codeHalf != null) {
            Portal.info("The recovery of " + codeHalf.userId() + " is requested (block " + codeHalf.committed().height()
                    + "). A second administrator approves it.");
            recoverUserId = null;
            recoverReason = null;
            pendingRecoveries = null;
        }
        return null;
    }

    public String approveRecovery(String userId) {
        codeHalf = Portal.attempt(() -> recovery.approve(userId));
        if (codeHalf != null) {
            Portal.info("The recovery of " + userId + " is approved (block " + codeHalf.committed().height()
                    + "); their old keys stop now.");
            pendingRecoveries = null;
        }
        return null;
    }

    /** The caller's own recoveries, as on chain. */
    public List<RecoveryService.RecoveryView> getMyRecoveries() {
        if (mine == null) {
            mine = recovery.mine();
        }
        return mine;
    }

    /** Rotates the caller's keys, then signs them out (their sessions ended). */
    public String rotate() throws ServletException, IOException {
        char[] p = password == null ? null : password.toCharArray();
        password = null;
        CredentialService.Rotated r = Portal.attempt(() -> credentials.rotateKeys(p));
        if (r == null) {
            return null;
        }
        Portal.info("Your keys are rotated (block " + r.committed().height() + ", " + r.recordsRewrapped()
                + " records re-wrapped). Sign in again with your password.");
        Portal.keepMessages();
        user.signOut();
        return "/login.xhtml?faces-redirect=true";
    }

    /** Erases one of the caller's records (crypto-shredding). */
    public String erase() {
        String recordId = eraseRecordId;
        var c = Portal.attempt(() -> records.erase(recordId, legalBasis));
        if (c != null) {
            Portal.info("Record " + recordId + " is erased (block " + c.height() + "); only its hash remains on chain.");
            Portal.keepMessages();
            return "/patient/record.xhtml?faces-redirect=true";
        }
        return null;
    }

    public RecoveryService.CodeHalf getCodeHalf() { return codeHalf; }
    public String getRecoverUserId() { return recoverUserId; }
    public void setRecoverUserId(String v) { recoverUserId = v; }
    public String getRecoverReason() { return recoverReason; }
    public void setRecoverReason(String v) { recoverReason = v; }
    public String getPassword() { return password; }
    public void setPassword(String v) { password = v; }
    public String getEraseRecordId() { return eraseRecordId; }
    public void setEraseRecordId(String v) { eraseRecordId = v; }
    public String getLegalBasis() { return legalBasis; }
    public void setLegalBasis(String v) { legalBasis = v; }
}
