-- Reads a file through a table function: its columns cannot be traced, and are reported so.
select * from read_csv_auto('exports/report.csv')
