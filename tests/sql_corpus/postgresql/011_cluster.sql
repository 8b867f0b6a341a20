-- expect: ZD305
CLUSTER orders USING orders_pkey;
