package org.ehrledger.web.portal;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.RecordService;

/** A decrypted record as a page shows it. */
public record RecordView(String id, String category, String title, String text, List<Detail> details, String author,
                         long createdAt, boolean erased) implements Serializable {

    /** A labelled detail (dose, route, value, reaction, ...). */
    public record Detail(String label, String value) implements Serializable {
    }

    /** Fields shown on their own, or not at all (the FHIR resource a record was written as is for machines). */
    private static final Set<String> OWN = Set.of("title", "text", "author", "category", RecordService.RESOURCE);

    static RecordView of(ClinicalRecords.Opened o) {
        List<Detail> details = new ArrayList<>();
        for (Map.Entry<String, String> e : o.fields().entrySet()) {
            if (!OWN.contains(e.getKey())) {
                details.add(new Detail(label(e.getKey()), e.getValue()));
            }
        }
        String title = o.field("title");
        if (title.isEmpty() && o.record().category().name().equals("DEMOGRAPHICS")) {
            title = "Personal details";
        }
        return new RecordView(o.record().id(), o.record().category().name(), title, o.field("text"), details,
                o.record().author(), o.record().createdAt(), o.record().erased());
    }

    static List<RecordView> of(List<ClinicalRecords.Opened> opened) {
        return opened.stream().map(RecordView::of).toList();
    }

    /** A field name as a label: {@code birthDate} as "Birth date". */
    static String label(String key) {
        String spaced = key.replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT);
        return Character.toUpperCase(spaced.charAt(0)) + spaced.substring(1);
    }
}
