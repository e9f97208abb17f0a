package org.ehrledger.web.portal;

import jakarta.enterprise.context.RequestScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Named;

import org.ehrledger.ejb.application.service.PatientService;

/** Patient self-service sign-up. */
@Named("signUp")
@RequestScoped
public class SignUpBean {

    @EJB
    PatientService patients;

    private String name;
    private String birthDate;
    private String contact;
    private String nationalId;
    private String password;
    private String confirm;
    private PatientService.SignedUp done;

    /** Creates the patient: keys, certificates, registration and demographics on chain. */
    public String signUp() {
        if (password == null || !password.equals(confirm)) {
            Portal.error("The two passwords differ; type the same password twice.");
            return null;
        }
        char[] secret = password.toCharArray();
        password = null;
        confirm = null;
        done = Portal.attempt(() -> patients.signUp(new PatientService.Demographics(name, birthDate, contact, nationalId),
                secret));
        java.util.Arrays.fill(secret, '\0');
        return null;
    }

    public PatientService.SignedUp getDone() {
        return done;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getBirthDate() {
        return birthDate;
    }

    public void setBirthDate(String birthDate) {
        this.birthDate = birthDate;
    }

    public String getContact() {
        return contact;
    }

    public void setContact(String contact) {
        this.contact = contact;
    }

    public String getNationalId() {
        return nationalId;
    }

    public void setNationalId(String nationalId) {
        this.nationalId = nationalId;
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public String getConfirm() {
        return confirm;
    }

    public void setConfirm(String confirm) {
        this.confirm = confirm;
    }
}
