package org.ehrledger.web.portal;

import java.io.IOException;

import jakarta.enterprise.context.RequestScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.http.HttpSession;

import org.ehrledger.ejb.application.service.CredentialService;
import org.ehrledger.web.security.EhrAuthenticationMechanism;

/**
 * The signed-in person's own account: changing their password, and taking their private keys away as a
 * PKCS#12 file; both only with the current password.
 */
@Named("account")
@RequestScoped
public class AccountBean {

    @EJB
    CredentialService credentials;

    @Inject
    UserBean user;

    private String currentPassword;
    private String newPassword;
    private String newConfirm;
    private String accountPassword;
    private String password;
    private String confirm;

    /** Changes the password; the person's other sessions end, this one stays. */
    public String changePassword() {
        if (newPassword == null || !newPassword.equals(newConfirm)) {
            Portal.error("The two new passwords differ; type the same password twice.");
            return null;
        }
        char[] current = currentPassword == null ? null : currentPassword.toCharArray();
        char[] chosen = newPassword.toCharArray();
        currentPassword = null;
        newPassword = null;
        newConfirm = null;
        HttpSession http = (HttpSession) Portal.external().getSession(false);
        String token = http == null ? null : (String) http.getAttribute(EhrAuthenticationMechanism.SESSION_TOKEN);
        if (Portal.attempt(() -> credentials.changePassword(current, chosen, token))) {
            Portal.info("Your password is changed. Your keys are sealed under it, and your other sessions have ended.");
        }
        java.util.Arrays.fill(chosen, '\0');
        if (current != null) {
            java.util.Arrays.fill(current, '\0');
        }
        return null;
    }

    /** Downloads the caller's keys and certificates, protected by the file password typed twice. */
    public void downloadKeys() throws IOException {
        if (password == null || !password.equals(confirm)) {
            Portal.error("The two file passwords differ; type the same password twice.");
            return;
        }
        char[] mine = accountPassword == null ? null : accountPassword.toCharArray();
        char[] secret = password.toCharArray();
        accountPassword = null;
        password = null;
        confirm = null;
        byte[] p12 = Portal.attempt(() -> credentials.exportKeys(mine, secret));
        java.util.Arrays.fill(secret, '\0');
        if (mine != null) {
            java.util.Arrays.fill(mine, '\0');
        }
        if (p12 != null) {
            PatientBean.send("application/x-pkcs12", user.getId() + ".p12", p12);
        }
    }

    public String getCurrentPassword() { return currentPassword; }
    public void setCurrentPassword(String v) { currentPassword = v; }
    public String getNewPassword() { return newPassword; }
    public void setNewPassword(String v) { newPassword = v; }
    public String getNewConfirm() { return newConfirm; }
    public void setNewConfirm(String v) { newConfirm = v; }
    public String getAccountPassword() { return accountPassword; }
    public void setAccountPassword(String v) { accountPassword = v; }
    public String getPassword() { return password; }
    public void setPassword(String v) { password = v; }
    public String getConfirm() { return confirm; }
    public void setConfirm(String v) { confirm = v; }
}
