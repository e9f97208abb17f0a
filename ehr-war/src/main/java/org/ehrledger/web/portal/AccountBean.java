package org.ehrledger.web.portal;

import java.io.IOException;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import org.ehrledger.ejb.application.service.AccountService;

/** The signed-in person's own account: taking their private keys away as a PKCS#12 file. */
@Named("account")
@RequestScoped
public class AccountBean {

    @Inject
    AccountService accounts;

    @Inject
    UserBean user;

    private String password;
    private String confirm;

    /** Downloads the caller's keys and certificates, protected by the password typed twice. */
    public void downloadKeys() throws IOException {
        if (password == null || !password.equals(confirm)) {
            Portal.error("The two passwords differ; type the same password twice.");
            return;
        }
        char[] secret = password.toCharArray();
        password = null;
        confirm = null;
        byte[] p12 = Portal.attempt(() -> accounts.exportKeys(secret));
        java.util.Arrays.fill(secret, '\0');
        if (p12 != null) {
            PatientBean.send("application/x-pkcs12", user.getId() + ".p12", p12);
        }
    }

    public String getPassword() { return password; }
    public void setPassword(String v) { password = v; }
    public String getConfirm() { return confirm; }
    public void setConfirm(String v) { confirm = v; }
}
