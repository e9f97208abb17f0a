package org.ehrledger.web.soap;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.ejb.EJBAccessException;
import jakarta.ejb.EJBException;
import jakarta.enterprise.inject.spi.CDI;

import org.ehrledger.ejb.application.DatabaseBusyException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.service.BillingService;
import org.ehrledger.ejb.application.service.Committed;

/**
 * The billing operations on the session bean, for {@link BillingEndpoint}. Endpoint instances are made by
 * the SOAP runtime, not CDI, so the session bean is looked up; typed errors become {@link BillingFault}s.
 */
final class BillingOperations {

    private static final Logger LOG = Logger.getLogger(BillingOperations.class.getName());
    static final int FIRST_YEAR = 1900;
    static final int LAST_YEAR = 9999;

    private BillingOperations() {
    }

    private static BillingService billing() {
        return CDI.current().select(BillingService.class).get();
    }

    static List<BillableEvent> list(String patientId, String from, String to) throws BillingFault {
        LocalDate first = day(from, "from");
        LocalDate last = day(to, "to");
        if (first.isAfter(last)) {
            throw new BillingFault(ErrorCode.INVALID_INPUT, "from (" + first + ") is after to (" + last + "); send from <= to");
        }
        long start = first.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long end = last.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        return call(() -> billing().billableEvents(patientId, start, end).stream().map(e -> {
            BillableEvent x = new BillableEvent();
            x.recordId = e.recordId();
            x.kind = e.kind();
            x.code = e.code();
            x.description = e.description();
            x.recordedAt = Instant.ofEpochMilli(e.at()).toString();
            x.practitioner = e.practitioner();
            x.organisation = e.organisation();
            x.billed = e.billed();
            x.invoice = e.billed() ? e.invoice() : null;
            return x;
        }).toList());
    }

    static Acknowledgement acknowledge(String recordId, String invoice) throws BillingFault {
        Committed c = call(() -> billing().acknowledge(recordId, invoice));
        Acknowledgement a = new Acknowledgement();
        a.recordId = recordId;
        a.invoice = invoice.strip(); // not null: the service refused a missing invoice
        a.transactionId = c.transactionId();
        a.blockHeight = c.height();
        a.transactionIndex = c.index();
        a.blockHash = c.blockHash();
        return a;
    }

    /** A day of the range: an ISO date from {@value #FIRST_YEAR} to {@value #LAST_YEAR} (wider ones overflow the clock). */
    static LocalDate day(String value, String name) throws BillingFault {
        LocalDate d;
        try {
            d = LocalDate.parse(value == null ? "" : value.strip());
        } catch (DateTimeParseException e) {
            throw new BillingFault(ErrorCode.INVALID_INPUT, name + " must be a date such as 2026-11-25");
        }
        if (d.getYear() < FIRST_YEAR || d.getYear() > LAST_YEAR) {
            throw new BillingFault(ErrorCode.INVALID_INPUT, name + " must be a date from " + FIRST_YEAR + "-01-01 to " + LAST_YEAR
                    + "-12-31, such as 2026-11-25");
        }
        return d;
    }

    /**
     * Runs an operation; every failure becomes a coded fault. Anything unexpected is logged with a reference
     * and answered without its text, which could name internals.
     */
    private static <T> T call(Supplier<T> action) throws BillingFault {
        try {
            return action.get();
        } catch (EhrException e) {
            throw new BillingFault(e.code(), e.getMessage());
        } catch (EJBAccessException e) {
            throw new BillingFault(ErrorCode.FORBIDDEN, "this operation needs a billing account (role BILLING)");
        } catch (EJBException e) {
            if (e.getCausedByException() instanceof EhrException ehr) {
                throw new BillingFault(ehr.code(), ehr.getMessage());
            }
            throw internal(e);
        } catch (RuntimeException e) {
            throw internal(e);
        }
    }

    private static BillingFault internal(RuntimeException e) {
        if (DatabaseBusyException.causes(e)) {
            return new BillingFault(ErrorCode.BUSY, new DatabaseBusyException().getMessage());
        }
        String reference = UUID.randomUUID().toString();
        LOG.log(Level.SEVERE, "billing operation failed, reference " + reference, e);
        return new BillingFault(ErrorCode.INTERNAL, "the operation failed on this replica; nothing was changed by this answer. "
                + "Report reference " + reference + " to the operator");
    }
}
