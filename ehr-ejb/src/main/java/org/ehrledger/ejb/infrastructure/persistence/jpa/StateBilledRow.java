package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** Billing acknowledgements. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#BILLED}. */
@Entity
@Table(name = "STATE_BILLED")
public class StateBilledRow extends StateRowEntity {
}
