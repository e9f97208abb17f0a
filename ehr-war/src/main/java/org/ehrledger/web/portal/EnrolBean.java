package org.ehrledger.web.portal;

import jakarta.enterprise.context.RequestScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.http.HttpServletRequest;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.EnrolmentService;
import org.ehrledger.web.security.LoginThrottle;

/**
 * Completing an enrolment: someone registered by an administrator or the registration desk enters their
 * user id, the one-time code they were given and the password they choose. Failures are throttled per
 * address like sign-ins (and count toward the account's lock).
 */
@Named("enrol")
@RequestScoped
public class EnrolBean {

    @EJB
    EnrolmentService enrolments;

    @Inject
    LoginThrottle throttle;

    private String userId;
    private String code;
    private String password;
    private String confirm;
    private EnrolmentService.Completed done;

    /** Completes the enrolment, or says why not. */
    public String complete() {
        if (password == null || !password.equals(confirm)) {
            Portal.error("The two passwords differ; type the same password twice.");
            return null;
        }
        String address = ((HttpServletRequest) Portal.external().getRequest()).getRemoteAddr();
        char[] secret = password.toCharArray();
        password = null;
        confirm = null;
        try {
            done = Portal.attempt(() -> throttle.attempt(address, ErrorCode.UNAUTHENTICATED,
                    () -> enrolments.complete(userId == null ? null : userId.strip(), code, secret)));
        } finally {
            java.util.Arrays.fill(secret, '\0');
        }
        return null;
    }

    public EnrolmentService.Completed getDone() { return done; }
    public String getUserId() { return userId; }
    public void setUserId(String v) { userId = v; }
    public String getCode() { return code; }
    public void setCode(String v) { code = v; }
    public String getPassword() { return password; }
    public void setPassword(String v) { password = v; }
    public String getConfirm() { return confirm; }
    public void setConfirm(String v) { confirm = v; }
}
