package org.ehrledger.web.soap;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.function.Supplier;

import jakarta.ejb.EJBAccessException;
import jakarta.enterprise.inject.spi.CDI;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.service.BillingService;
import org.ehrledger.ejb.application.service.Committed;

/**
 * The billing operations on the session bean, for {@link BillingEndpoint}. Endpoint instances are made by
 * the SOAP runtime, not CDI, so the session bean is looked up; typed errors become {@link BillingFault}s.
 */
final class BillingOperations {

    private BillingOperations() {
    }

    private static BillingService billing() {
        return CDI.current().select(BillingService.class).get();
    }

    static List<BillableEvent> list(String patientId, String from, String to) throws BillingFault {
        long start = day(from, "from");
        long end = day(to, "to") + 86_400_000L;
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
        a.invoice = invoice.strip();
        a.transactionId = c.transactionId();
        a.blockHeight = c.height();
        a.transactionIndex = c.index();
        a.blockHash = c.blockHash();
        return a;
    }

    private static long day(String value, String name) throws BillingFault {
        try {
            return LocalDate.parse(value == null ? "" : value.strip()).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new BillingFault("INVALID_INPUT", name + " must be a date such as 2026-11-25");
        }
    }

    private static <T> T call(Supplier<T> action) throws BillingFault {
        try {
            return action.get();
        } catch (EhrException e) {
            throw new BillingFault(e.code().name(), e.getMessage());
        } catch (EJBAccessException e) {
            throw new BillingFault("FORBIDDEN", "this operation needs a billing account (role BILLING)");
        }
    }
}
