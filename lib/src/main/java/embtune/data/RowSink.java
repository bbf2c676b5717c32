package embtune.data;

/** Where a reader sends each parsed row, or the error that row had (the loader decides to stop or skip). */
interface RowSink {
    void accept(long line, Record record);

    void invalid(DataError error);
}
