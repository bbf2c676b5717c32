package embtune.report;

import tech.tablesaw.api.Table;

/**
 * An HTML fragment as a value: a notebook cell that ends with one shows a rendered table (the
 * Java kernel displays a value's text as HTML); in JShell it prints the markup.
 */
public record Html(String html) {
    public static Html of(Table t) {
        return new Html("<b>" + Report.esc(t.name()) + "</b>" + Report.htmlTable(t));
    }

    @Override
    public String toString() {
        return html;
    }
}
