-- expect: ZD326
REFRESH MATERIALIZED VIEW order_totals;
