package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** The emergency state. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#EMERGENCY_STATE}. */
@Entity
@Table(name = "STATE_EMERGENCY")
public class StateEmergencyRow extends StateRowEntity {
}
