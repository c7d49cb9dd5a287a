// FADReport: Reports: JSON, CSV, tables and the per-song HTML report.
