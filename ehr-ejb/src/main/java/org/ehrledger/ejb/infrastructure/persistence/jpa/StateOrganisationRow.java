package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** Member organisations. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#ORGANISATION}. */
@Entity
@Table(name = "STATE_ORGANISATION")
public class StateOrganisationRow extends StateRowEntity {
}
