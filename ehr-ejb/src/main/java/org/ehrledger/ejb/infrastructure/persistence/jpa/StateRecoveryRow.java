package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** Pending identity recoveries. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#RECOVERY}. */
@Entity
@Table(name = "STATE_RECOVERY")
public class StateRecoveryRow extends StateRowEntity {
}
