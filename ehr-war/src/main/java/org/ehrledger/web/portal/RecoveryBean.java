package org.ehrledger.web.portal;

import jakarta.enterprise.context.RequestScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.http.HttpServletRequest;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.RecoveryService;
import org.ehrledger.web.security.LoginThrottle;

/**
 * The recovery page: the person completes an approved recovery with both code halves and a new password.
 * Wrong codes count toward the per-address throttle of every sign-in path.
 */
@Named("recovery")
@RequestScoped
public class RecoveryBean {

    @EJB
    RecoveryService recovery;

    @Inject
    LoginThrottle throttle;

    private String userId;
    private String requestCode;
    private String approvalCode;
    private String password;
    private String confirm;

    public String complete() {
        if (password == null || !password.equals(confirm)) {
            Portal.error("The two passwords differ.");
            return null;
        }
        char[] p = password.toCharArray();
        password = null;
        confirm = null;
        String address = ((HttpServletRequest) Portal.external().getRequest()).getRemoteAddr();
        RecoveryService.Completed done = Portal.attempt(() -> throttle.attempt(address, ErrorCode.FORBIDDEN,
                () -> recovery.complete(userId, requestCode, approvalCode, p)));
        if (done == null) {
            return null;
        }
        Portal.info("Your identity is recovered (block " + done.committed().height() + "): new keys, "
                + done.recordsRewrapped() + " records re-wrapped for them. Sign in with your new password.");
        Portal.keepMessages();
        return "/login.xhtml?faces-redirect=true";
    }

    public String getUserId() { return userId; }
    public void setUserId(String v) { userId = v; }
    public String getRequestCode() { return requestCode; }
    public void setRequestCode(String v) { requestCode = v; }
    public String getApprovalCode() { return approvalCode; }
    public void setApprovalCode(String v) { approvalCode = v; }
    public String getPassword() { return password; }
    public void setPassword(String v) { password = v; }
    public String getConfirm() { return confirm; }
    public void setConfirm(String v) { confirm = v; }
}
