-- migration 0001_initial (migrations_examples/0001_initial.py)

-- phase: expand
-- CreateTable: lock none
--   a new table: nothing else uses it yet
CREATE TABLE `users` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `email` VARCHAR(255) NOT NULL,
    `full_name` VARCHAR(200) NOT NULL,
    `created_at` DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT `PRIMARY` PRIMARY KEY (`id`),
    CONSTRAINT `uq_users_email` UNIQUE (`email`)
);
-- CreateTable: lock none
--   a new table: nothing else uses it yet
CREATE TABLE `products` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `sku` VARCHAR(40) NOT NULL,
    `name` VARCHAR(200) NOT NULL,
    `price` INTEGER NOT NULL,
    `description` TEXT,
    `created_at` DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT `PRIMARY` PRIMARY KEY (`id`),
    CONSTRAINT `uq_products_sku` UNIQUE (`sku`),
    CONSTRAINT `uq_products_name` UNIQUE (`name`)
);
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   a new table: nothing else uses it yet
CREATE TABLE `orders` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `user_id` INTEGER NOT NULL,
    `status` VARCHAR(20) DEFAULT 'pending' NOT NULL,
    `shipping_address` VARCHAR(500) NOT NULL,
    `coupon_code` VARCHAR(40),
    `created_at` DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT `PRIMARY` PRIMARY KEY (`id`),
    CONSTRAINT `fk_orders_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`)
);
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
CREATE INDEX `ix_orders_user_id` ON `orders` (`user_id`);
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   a new table: nothing else uses it yet
CREATE TABLE `order_items` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `order_id` INTEGER NOT NULL,
    `product_id` INTEGER NOT NULL,
    `quantity` INTEGER NOT NULL,
    `unit_price` INTEGER NOT NULL,
    CONSTRAINT `PRIMARY` PRIMARY KEY (`id`),
    CONSTRAINT `fk_order_items_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE
);

-- migration 0002_decimal_prices (migrations_examples/0002_decimal_prices.py)

-- phase: expand
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `products` ADD COLUMN `zdm_price_new` DECIMAL(12,2), ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_products_type_price_i` BEFORE INSERT ON `products` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF NEW.`zdm_price_new` IS NULL AND (NEW.`price` IS NOT NULL) THEN SET NEW.`zdm_price_new` = (SELECT CAST(price AS DECIMAL(12, 2)) FROM (SELECT NEW.`id` AS `id`, NEW.`sku` AS `sku`, NEW.`name` AS `name`, NEW.`price` AS `price`, NEW.`description` AS `description`, NEW.`created_at` AS `created_at`, NEW.`zdm_price_new` AS `zdm_price_new`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_products_type_price_u` BEFORE UPDATE ON `products` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF (NOT (NEW.`price` <=> OLD.`price`)) AND NEW.`zdm_price_new` <=> OLD.`zdm_price_new` THEN SET NEW.`zdm_price_new` = (SELECT CAST(price AS DECIMAL(12, 2)) FROM (SELECT NEW.`id` AS `id`, NEW.`sku` AS `sku`, NEW.`name` AS `name`, NEW.`price` AS `price`, NEW.`description` AS `description`, NEW.`created_at` AS `created_at`, NEW.`zdm_price_new` AS `zdm_price_new`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `order_items` ADD COLUMN `zdm_unit_price_new` DECIMAL(12,2), ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_order_items_type_unit_price_i` BEFORE INSERT ON `order_items` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF NEW.`zdm_unit_price_new` IS NULL AND (NEW.`unit_price` IS NOT NULL) THEN SET NEW.`zdm_unit_price_new` = (SELECT CAST(unit_price AS DECIMAL(12, 2)) FROM (SELECT NEW.`id` AS `id`, NEW.`order_id` AS `order_id`, NEW.`product_id` AS `product_id`, NEW.`quantity` AS `quantity`, NEW.`unit_price` AS `unit_price`, NEW.`zdm_unit_price_new` AS `zdm_unit_price_new`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_order_items_type_unit_price_u` BEFORE UPDATE ON `order_items` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF (NOT (NEW.`unit_price` <=> OLD.`unit_price`)) AND NEW.`zdm_unit_price_new` <=> OLD.`zdm_unit_price_new` THEN SET NEW.`zdm_unit_price_new` = (SELECT CAST(unit_price AS DECIMAL(12, 2)) FROM (SELECT NEW.`id` AS `id`, NEW.`order_id` AS `order_id`, NEW.`product_id` AS `product_id`, NEW.`quantity` AS `quantity`, NEW.`unit_price` AS `unit_price`, NEW.`zdm_unit_price_new` AS `zdm_unit_price_new`) AS `zdm_row`);
    END IF;
  END IF;
END;

-- migration 0003_product_names_not_unique (migrations_examples/0003_product_names_not_unique.py)

-- phase: expand
-- CreateIndex: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); scans
--   built in place: reads and writes go on
ALTER TABLE `products` ADD INDEX `ix_products_name` (`name`), ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0004_order_item_integrity (migrations_examples/0004_order_item_integrity.py)

-- phase: expand
-- AddForeignKey: lock none
SET SESSION foreign_key_checks = 0;
-- AddForeignKey: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   in place only with foreign_key_checks off; rows are checked by a later scan
ALTER TABLE `order_items` ADD CONSTRAINT `fk_order_items_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`), ALGORITHM=INPLACE, LOCK=NONE;
-- AddForeignKey: lock none
SET SESSION foreign_key_checks = 1;
-- AddUniqueConstraint: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); scans
--   built in place: reads and writes go on
ALTER TABLE `order_items` ADD UNIQUE INDEX `uq_order_items_order_product` (`order_id`, `product_id`), ALGORITHM=INPLACE, LOCK=NONE;
-- AddCheckConstraint: lock SHARED (blocks writes); rewrites the table; NOT ONLINE
--   the server checks a new CHECK only by copying the table under a write lock; no shadow-table copy: order_items: cannot copy it: it has foreign keys, or others refer to it: a copy would leave them pointing at the old table (drop them, change the table, then add them back)
ALTER TABLE `order_items` ADD CONSTRAINT `ck_order_items_quantity_positive` CHECK (quantity > 0), ALGORITHM=COPY, LOCK=SHARED;

-- migration 0005_split_full_name (migrations_examples/0005_split_full_name.py)

-- phase: expand
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `users` ADD COLUMN `first_name` VARCHAR(100), ALGORITHM=INPLACE, LOCK=NONE;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `users` ADD COLUMN `last_name` VARCHAR(100), ALGORITHM=INPLACE, LOCK=NONE;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_users_transform_first_name_last_name_i` BEFORE INSERT ON `users` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF NEW.`first_name` IS NULL AND NEW.`last_name` IS NULL AND (NEW.`full_name` IS NOT NULL) THEN SET NEW.`first_name` = (SELECT CASE WHEN POSITION(' ' IN full_name) > 0 THEN SUBSTRING(full_name FROM 1 FOR POSITION(' ' IN full_name) - 1) ELSE full_name END FROM (SELECT NEW.`id` AS `id`, NEW.`email` AS `email`, NEW.`full_name` AS `full_name`, NEW.`created_at` AS `created_at`, NEW.`first_name` AS `first_name`, NEW.`last_name` AS `last_name`) AS `zdm_row`); SET NEW.`last_name` = (SELECT CASE WHEN POSITION(' ' IN full_name) > 0 THEN SUBSTRING(full_name FROM POSITION(' ' IN full_name) + 1) ELSE '' END FROM (SELECT NEW.`id` AS `id`, NEW.`email` AS `email`, NEW.`full_name` AS `full_name`, NEW.`created_at` AS `created_at`, NEW.`first_name` AS `first_name`, NEW.`last_name` AS `last_name`) AS `zdm_row`);
    ELSEIF NEW.`full_name` IS NULL AND (NEW.`first_name` IS NOT NULL OR NEW.`last_name` IS NOT NULL) THEN SET NEW.`full_name` = (SELECT TRIM(CONCAT(first_name, ' ', last_name)) FROM (SELECT NEW.`id` AS `id`, NEW.`email` AS `email`, NEW.`full_name` AS `full_name`, NEW.`created_at` AS `created_at`, NEW.`first_name` AS `first_name`, NEW.`last_name` AS `last_name`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_users_transform_first_name_last_name_u` BEFORE UPDATE ON `users` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF (NOT (NEW.`full_name` <=> OLD.`full_name`)) AND NEW.`first_name` <=> OLD.`first_name` AND NEW.`last_name` <=> OLD.`last_name` THEN SET NEW.`first_name` = (SELECT CASE WHEN POSITION(' ' IN full_name) > 0 THEN SUBSTRING(full_name FROM 1 FOR POSITION(' ' IN full_name) - 1) ELSE full_name END FROM (SELECT NEW.`id` AS `id`, NEW.`email` AS `email`, NEW.`full_name` AS `full_name`, NEW.`created_at` AS `created_at`, NEW.`first_name` AS `first_name`, NEW.`last_name` AS `last_name`) AS `zdm_row`); SET NEW.`last_name` = (SELECT CASE WHEN POSITION(' ' IN full_name) > 0 THEN SUBSTRING(full_name FROM POSITION(' ' IN full_name) + 1) ELSE '' END FROM (SELECT NEW.`id` AS `id`, NEW.`email` AS `email`, NEW.`full_name` AS `full_name`, NEW.`created_at` AS `created_at`, NEW.`first_name` AS `first_name`, NEW.`last_name` AS `last_name`) AS `zdm_row`);
    ELSEIF (NOT (NEW.`first_name` <=> OLD.`first_name`) OR NOT (NEW.`last_name` <=> OLD.`last_name`)) AND NEW.`full_name` <=> OLD.`full_name` THEN SET NEW.`full_name` = (SELECT TRIM(CONCAT(first_name, ' ', last_name)) FROM (SELECT NEW.`id` AS `id`, NEW.`email` AS `email`, NEW.`full_name` AS `full_name`, NEW.`created_at` AS `created_at`, NEW.`first_name` AS `first_name`, NEW.`last_name` AS `last_name`) AS `zdm_row`);
    END IF;
  END IF;
END;

-- migration 0006_users_phone (migrations_examples/0006_users_phone.py)

-- phase: expand
-- AddColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `users` ADD COLUMN `phone` VARCHAR(30), ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0007_product_reviews (migrations_examples/0007_product_reviews.py)

-- phase: expand
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   a new table: nothing else uses it yet
CREATE TABLE `product_reviews` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `product_id` INTEGER NOT NULL,
    `user_id` INTEGER NOT NULL,
    `rating` SMALLINT NOT NULL,
    `body` TEXT,
    `created_at` DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT `PRIMARY` PRIMARY KEY (`id`),
    CONSTRAINT `ck_product_reviews_rating` CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT `fk_product_reviews_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_product_reviews_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`)
);
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
CREATE INDEX `ix_product_reviews_product_id` ON `product_reviews` (`product_id`);

-- migration 0008_orders_currency (migrations_examples/0008_orders_currency.py)

-- phase: expand
-- AddColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `orders` ADD COLUMN `currency` VARCHAR(3), ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0009_digital_orders (migrations_examples/0009_digital_orders.py)

-- phase: expand
-- DropNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `orders` MODIFY COLUMN `shipping_address` VARCHAR(500), ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0010_orders_by_customer (migrations_examples/0010_orders_by_customer.py)

-- phase: expand
-- CreateIndex: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); scans
--   built in place: reads and writes go on
ALTER TABLE `orders` ADD INDEX `ix_orders_user_id_created_at` (`user_id`, `created_at`), ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0011_users_email_address (migrations_examples/0011_users_email_address.py)

-- phase: expand
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `users` ADD COLUMN `email_address` VARCHAR(255), ALGORITHM=INPLACE, LOCK=NONE;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_users_rename_email_i` BEFORE INSERT ON `users` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF NEW.`email_address` IS NULL AND (NEW.`email` IS NOT NULL) THEN SET NEW.`email_address` = NEW.`email`;
    ELSEIF NEW.`email` IS NULL AND (NEW.`email_address` IS NOT NULL) THEN SET NEW.`email` = NEW.`email_address`;
    END IF;
  END IF;
END;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_users_rename_email_u` BEFORE UPDATE ON `users` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF (NOT (NEW.`email` <=> OLD.`email`)) AND NEW.`email_address` <=> OLD.`email_address` THEN SET NEW.`email_address` = NEW.`email`;
    ELSEIF (NOT (NEW.`email_address` <=> OLD.`email_address`)) AND NEW.`email` <=> OLD.`email` THEN SET NEW.`email` = NEW.`email_address`;
    END IF;
  END IF;
END;

-- migration 0012_order_lines (migrations_examples/0012_order_lines.py)

-- phase: expand
-- RenameTable: lock none
--   an empty stand-in, so that the view can be created before the swap
CREATE TABLE `order_lines` LIKE `order_items`;
-- RenameTable: lock none
--   the old name stays usable through a simple, updatable view
CREATE VIEW `zdm_order_items_view` AS SELECT * FROM `order_lines`;
-- RenameTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   one atomic rename: the old name is never missing
RENAME TABLE `order_lines` TO `zdm_order_items_stand_in`, `order_items` TO `order_lines`, `zdm_order_items_view` TO `order_items`;
-- RenameTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TABLE `zdm_order_items_stand_in`;

-- migration 0013_orders_currency_required (migrations_examples/0013_orders_currency_required.py)

-- phase: expand
-- SetDefault: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `orders` ALTER COLUMN `currency` SET DEFAULT 'EUR', ALGORITHM=INSTANT;
-- SetNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   fills the NULLs an app that does not know the column's rule writes
CREATE TRIGGER `zdm_orders_currency_fill_i` BEFORE INSERT ON `orders` FOR EACH ROW
BEGIN
  IF NEW.`currency` IS NULL THEN SET NEW.`currency` = (SELECT 'EUR' FROM (SELECT NEW.`id` AS `id`, NEW.`user_id` AS `user_id`, NEW.`status` AS `status`, NEW.`shipping_address` AS `shipping_address`, NEW.`coupon_code` AS `coupon_code`, NEW.`created_at` AS `created_at`, NEW.`currency` AS `currency`) AS `zdm_row`); END IF;
END;
-- SetNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   fills the NULLs an app that does not know the column's rule writes
CREATE TRIGGER `zdm_orders_currency_fill_u` BEFORE UPDATE ON `orders` FOR EACH ROW
BEGIN
  IF NEW.`currency` IS NULL THEN SET NEW.`currency` = (SELECT 'EUR' FROM (SELECT NEW.`id` AS `id`, NEW.`user_id` AS `user_id`, NEW.`status` AS `status`, NEW.`shipping_address` AS `shipping_address`, NEW.`coupon_code` AS `coupon_code`, NEW.`created_at` AS `created_at`, NEW.`currency` AS `currency`) AS `zdm_row`); END IF;
END;

-- migration 0014_retire_coupons (migrations_examples/0014_retire_coupons.py)

-- phase: expand

-- migration 0015_drop_product_reviews (migrations_examples/0015_drop_product_reviews.py)

-- phase: expand

-- migration 0016_order_totals_view (migrations_examples/0016_order_totals_view.py)

-- phase: expand
-- RunSQL: lock none
CREATE VIEW order_totals AS SELECT order_id, COUNT(*) AS line_count, SUM(quantity * unit_price) AS items_total FROM order_lines GROUP BY order_id;

-- migration 0001_initial (migrations_examples/0001_initial.py)

-- phase: backfill

-- migration 0002_decimal_prices (migrations_examples/0002_decimal_prices.py)

-- phase: backfill
-- ChangeColumnType: lock ROW; scans; batched
--   runs in batches of rows ordered by (id)
UPDATE `products` SET `zdm_price_new` = CAST(price AS DECIMAL(12, 2)) WHERE NOT (`zdm_price_new` <=> CAST(price AS DECIMAL(12, 2)));
-- ChangeColumnType: lock WRITE (LOCK TABLES) (blocks reads, writes)
--   holds off reads and writes until UNLOCK TABLES, a few catalog changes later
LOCK TABLES `products` WRITE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_products_type_price_i`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_products_type_price_u`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `products` RENAME COLUMN `price` TO `zdm_price_old`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `products` RENAME COLUMN `zdm_price_new` TO `price`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_products_type_price_i` BEFORE INSERT ON `products` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF NEW.`zdm_price_old` IS NULL AND (NEW.`price` IS NOT NULL) THEN SET NEW.`zdm_price_old` = (SELECT ROUND(price) FROM (SELECT NEW.`id` AS `id`, NEW.`sku` AS `sku`, NEW.`name` AS `name`, NEW.`zdm_price_old` AS `zdm_price_old`, NEW.`description` AS `description`, NEW.`created_at` AS `created_at`, NEW.`price` AS `price`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_products_type_price_u` BEFORE UPDATE ON `products` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF (NOT (NEW.`price` <=> OLD.`price`)) AND NEW.`zdm_price_old` <=> OLD.`zdm_price_old` THEN SET NEW.`zdm_price_old` = (SELECT ROUND(price) FROM (SELECT NEW.`id` AS `id`, NEW.`sku` AS `sku`, NEW.`name` AS `name`, NEW.`zdm_price_old` AS `zdm_price_old`, NEW.`description` AS `description`, NEW.`created_at` AS `created_at`, NEW.`price` AS `price`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock none
UNLOCK TABLES;
-- ChangeColumnType: lock ROW; scans; batched
--   runs in batches of rows ordered by (id)
UPDATE `order_items` SET `zdm_unit_price_new` = CAST(unit_price AS DECIMAL(12, 2)) WHERE NOT (`zdm_unit_price_new` <=> CAST(unit_price AS DECIMAL(12, 2)));
-- ChangeColumnType: lock WRITE (LOCK TABLES) (blocks reads, writes)
--   holds off reads and writes until UNLOCK TABLES, a few catalog changes later
LOCK TABLES `order_items` WRITE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_order_items_type_unit_price_i`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_order_items_type_unit_price_u`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `order_items` RENAME COLUMN `unit_price` TO `zdm_unit_price_old`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `order_items` RENAME COLUMN `zdm_unit_price_new` TO `unit_price`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_order_items_type_unit_price_i` BEFORE INSERT ON `order_items` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF NEW.`zdm_unit_price_old` IS NULL AND (NEW.`unit_price` IS NOT NULL) THEN SET NEW.`zdm_unit_price_old` = (SELECT ROUND(unit_price) FROM (SELECT NEW.`id` AS `id`, NEW.`order_id` AS `order_id`, NEW.`product_id` AS `product_id`, NEW.`quantity` AS `quantity`, NEW.`zdm_unit_price_old` AS `zdm_unit_price_old`, NEW.`unit_price` AS `unit_price`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
CREATE TRIGGER `zdm_order_items_type_unit_price_u` BEFORE UPDATE ON `order_items` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF (NOT (NEW.`unit_price` <=> OLD.`unit_price`)) AND NEW.`zdm_unit_price_old` <=> OLD.`zdm_unit_price_old` THEN SET NEW.`zdm_unit_price_old` = (SELECT ROUND(unit_price) FROM (SELECT NEW.`id` AS `id`, NEW.`order_id` AS `order_id`, NEW.`product_id` AS `product_id`, NEW.`quantity` AS `quantity`, NEW.`zdm_unit_price_old` AS `zdm_unit_price_old`, NEW.`unit_price` AS `unit_price`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock none
UNLOCK TABLES;

-- migration 0003_product_names_not_unique (migrations_examples/0003_product_names_not_unique.py)

-- phase: backfill

-- migration 0004_order_item_integrity (migrations_examples/0004_order_item_integrity.py)

-- phase: backfill
-- AddForeignKey: lock none; scans
--   checks that every existing row has its parent (constraint fk_order_items_product)
SELECT 1 FROM `order_items` AS c LEFT JOIN `products` AS p ON p.`id` = c.`product_id` WHERE c.`product_id` IS NOT NULL AND p.`id` IS NULL LIMIT 1;

-- migration 0005_split_full_name (migrations_examples/0005_split_full_name.py)

-- phase: backfill
-- TransformColumn: lock ROW; scans; batched
--   runs in batches of rows ordered by (id)
UPDATE `users` SET `first_name` = CASE WHEN POSITION(' ' IN full_name) > 0 THEN SUBSTRING(full_name FROM 1 FOR POSITION(' ' IN full_name) - 1) ELSE full_name END, `last_name` = CASE WHEN POSITION(' ' IN full_name) > 0 THEN SUBSTRING(full_name FROM POSITION(' ' IN full_name) + 1) ELSE '' END WHERE NOT (`first_name` <=> CASE WHEN POSITION(' ' IN full_name) > 0 THEN SUBSTRING(full_name FROM 1 FOR POSITION(' ' IN full_name) - 1) ELSE full_name END) OR NOT (`last_name` <=> CASE WHEN POSITION(' ' IN full_name) > 0 THEN SUBSTRING(full_name FROM POSITION(' ' IN full_name) + 1) ELSE '' END);

-- migration 0006_users_phone (migrations_examples/0006_users_phone.py)

-- phase: backfill

-- migration 0007_product_reviews (migrations_examples/0007_product_reviews.py)

-- phase: backfill

-- migration 0008_orders_currency (migrations_examples/0008_orders_currency.py)

-- phase: backfill
-- Backfill: lock ROW; scans; batched
--   runs in batches of rows ordered by (id)
UPDATE `orders` SET `currency` = 'EUR' WHERE currency IS NULL;

-- migration 0009_digital_orders (migrations_examples/0009_digital_orders.py)

-- phase: backfill

-- migration 0010_orders_by_customer (migrations_examples/0010_orders_by_customer.py)

-- phase: backfill

-- migration 0011_users_email_address (migrations_examples/0011_users_email_address.py)

-- phase: backfill
-- RenameColumn: lock ROW; scans; batched
--   runs in batches of rows ordered by (id)
UPDATE `users` SET `email_address` = `email` WHERE NOT (`email_address` <=> `email`);
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); scans
--   built in place: reads and writes go on
ALTER TABLE `users` ADD UNIQUE INDEX `zdm_uq_users_email` (`email_address`), ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0012_order_lines (migrations_examples/0012_order_lines.py)

-- phase: backfill

-- migration 0013_orders_currency_required (migrations_examples/0013_orders_currency_required.py)

-- phase: backfill
-- SetNotNull: lock ROW; scans; batched
--   runs in batches of rows ordered by (id)
UPDATE `orders` SET `currency` = 'EUR' WHERE `currency` IS NULL;
-- SetNotNull: lock none; scans
--   every existing row of orders must satisfy `currency` IS NOT NULL
SELECT 1 FROM `orders` WHERE NOT (`currency` IS NOT NULL) LIMIT 1;

-- migration 0014_retire_coupons (migrations_examples/0014_retire_coupons.py)

-- phase: backfill

-- migration 0015_drop_product_reviews (migrations_examples/0015_drop_product_reviews.py)

-- phase: backfill

-- migration 0016_order_totals_view (migrations_examples/0016_order_totals_view.py)

-- phase: backfill

-- migration 0001_initial (migrations_examples/0001_initial.py)

-- phase: contract

-- migration 0002_decimal_prices (migrations_examples/0002_decimal_prices.py)

-- phase: contract
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `products` MODIFY COLUMN `zdm_price_old` INTEGER, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_products_type_price_i`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_products_type_price_u`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `products` DROP COLUMN `zdm_price_old`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table; scans
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `products` MODIFY COLUMN `price` DECIMAL(12,2) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `order_items` MODIFY COLUMN `zdm_unit_price_old` INTEGER, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_order_items_type_unit_price_i`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_order_items_type_unit_price_u`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `order_items` DROP COLUMN `zdm_unit_price_old`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table; scans
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `order_items` MODIFY COLUMN `unit_price` DECIMAL(12,2) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0003_product_names_not_unique (migrations_examples/0003_product_names_not_unique.py)

-- phase: contract
-- DropConstraint: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `products` DROP INDEX `uq_products_name`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0004_order_item_integrity (migrations_examples/0004_order_item_integrity.py)

-- phase: contract

-- migration 0005_split_full_name (migrations_examples/0005_split_full_name.py)

-- phase: contract
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `users` MODIFY COLUMN `full_name` VARCHAR(200), ALGORITHM=INPLACE, LOCK=NONE;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_users_transform_first_name_last_name_i`;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_users_transform_first_name_last_name_u`;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `users` DROP COLUMN `full_name`, ALGORITHM=INPLACE, LOCK=NONE;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table; scans
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `users` MODIFY COLUMN `first_name` VARCHAR(100) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table; scans
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `users` MODIFY COLUMN `last_name` VARCHAR(100) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0006_users_phone (migrations_examples/0006_users_phone.py)

-- phase: contract

-- migration 0007_product_reviews (migrations_examples/0007_product_reviews.py)

-- phase: contract

-- migration 0008_orders_currency (migrations_examples/0008_orders_currency.py)

-- phase: contract

-- migration 0009_digital_orders (migrations_examples/0009_digital_orders.py)

-- phase: contract
-- DropDefault: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   status is NOT NULL and nothing else fills it: from now on every insert must write it, so the new app must
ALTER TABLE `orders` ALTER COLUMN `status` DROP DEFAULT, ALGORITHM=INSTANT;

-- migration 0010_orders_by_customer (migrations_examples/0010_orders_by_customer.py)

-- phase: contract
-- DropIndex: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `orders` DROP INDEX `ix_orders_user_id`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0011_users_email_address (migrations_examples/0011_users_email_address.py)

-- phase: contract
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `users` MODIFY COLUMN `email` VARCHAR(255), ALGORITHM=INPLACE, LOCK=NONE;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_users_rename_email_i`;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_users_rename_email_u`;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `users` DROP COLUMN `email`, ALGORITHM=INPLACE, LOCK=NONE;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
ALTER TABLE `users` RENAME INDEX `zdm_uq_users_email` TO `uq_users_email`, ALGORITHM=INPLACE, LOCK=NONE;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table; scans
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `users` MODIFY COLUMN `email_address` VARCHAR(255) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0012_order_lines (migrations_examples/0012_order_lines.py)

-- phase: contract
-- RenameTable: lock none
DROP VIEW IF EXISTS `order_items`;

-- migration 0013_orders_currency_required (migrations_examples/0013_orders_currency_required.py)

-- phase: contract
-- SetNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_orders_currency_fill_i`;
-- SetNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TRIGGER IF EXISTS `zdm_orders_currency_fill_u`;
-- SetNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table; scans
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `orders` MODIFY COLUMN `currency` VARCHAR(3) DEFAULT 'EUR' NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0014_retire_coupons (migrations_examples/0014_retire_coupons.py)

-- phase: contract
-- DropColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
ALTER TABLE `orders` DROP COLUMN `coupon_code`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0015_drop_product_reviews (migrations_examples/0015_drop_product_reviews.py)

-- phase: contract
-- DropTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
DROP TABLE `product_reviews`;

-- migration 0016_order_totals_view (migrations_examples/0016_order_totals_view.py)

-- phase: contract

-- migration 0001_initial (migrations_examples/0001_initial.py)

-- phase: rollback
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TABLE `order_items`;
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TABLE `orders`;
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TABLE `products`;
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TABLE `users`;

-- migration 0002_decimal_prices (migrations_examples/0002_decimal_prices.py)

-- phase: rollback
-- ChangeColumnType: lock WRITE (LOCK TABLES) (blocks reads, writes)
--   holds off reads and writes until UNLOCK TABLES, a few catalog changes later
--   undoes backfill
LOCK TABLES `order_items` WRITE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
DROP TRIGGER IF EXISTS `zdm_order_items_type_unit_price_i`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
DROP TRIGGER IF EXISTS `zdm_order_items_type_unit_price_u`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
ALTER TABLE `order_items` RENAME COLUMN `unit_price` TO `zdm_unit_price_new`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
ALTER TABLE `order_items` RENAME COLUMN `zdm_unit_price_old` TO `unit_price`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
--   undoes backfill
CREATE TRIGGER `zdm_order_items_type_unit_price_i` BEFORE INSERT ON `order_items` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF NEW.`zdm_unit_price_new` IS NULL AND (NEW.`unit_price` IS NOT NULL) THEN SET NEW.`zdm_unit_price_new` = (SELECT CAST(unit_price AS DECIMAL(12, 2)) FROM (SELECT NEW.`id` AS `id`, NEW.`order_id` AS `order_id`, NEW.`product_id` AS `product_id`, NEW.`quantity` AS `quantity`, NEW.`unit_price` AS `unit_price`, NEW.`zdm_unit_price_new` AS `zdm_unit_price_new`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
--   undoes backfill
CREATE TRIGGER `zdm_order_items_type_unit_price_u` BEFORE UPDATE ON `order_items` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF (NOT (NEW.`unit_price` <=> OLD.`unit_price`)) AND NEW.`zdm_unit_price_new` <=> OLD.`zdm_unit_price_new` THEN SET NEW.`zdm_unit_price_new` = (SELECT CAST(unit_price AS DECIMAL(12, 2)) FROM (SELECT NEW.`id` AS `id`, NEW.`order_id` AS `order_id`, NEW.`product_id` AS `product_id`, NEW.`quantity` AS `quantity`, NEW.`unit_price` AS `unit_price`, NEW.`zdm_unit_price_new` AS `zdm_unit_price_new`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock none
--   undoes backfill
UNLOCK TABLES;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_order_items_type_unit_price_i`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_order_items_type_unit_price_u`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
--   undoes expand
ALTER TABLE `order_items` DROP COLUMN `zdm_unit_price_new`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock WRITE (LOCK TABLES) (blocks reads, writes)
--   holds off reads and writes until UNLOCK TABLES, a few catalog changes later
--   undoes backfill
LOCK TABLES `products` WRITE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
DROP TRIGGER IF EXISTS `zdm_products_type_price_i`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
DROP TRIGGER IF EXISTS `zdm_products_type_price_u`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
ALTER TABLE `products` RENAME COLUMN `price` TO `zdm_price_new`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
ALTER TABLE `products` RENAME COLUMN `zdm_price_old` TO `price`, ALGORITHM=INPLACE, LOCK=NONE;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
--   undoes backfill
CREATE TRIGGER `zdm_products_type_price_i` BEFORE INSERT ON `products` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF NEW.`zdm_price_new` IS NULL AND (NEW.`price` IS NOT NULL) THEN SET NEW.`zdm_price_new` = (SELECT CAST(price AS DECIMAL(12, 2)) FROM (SELECT NEW.`id` AS `id`, NEW.`sku` AS `sku`, NEW.`name` AS `name`, NEW.`price` AS `price`, NEW.`description` AS `description`, NEW.`created_at` AS `created_at`, NEW.`zdm_price_new` AS `zdm_price_new`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   keeps the old and the new columns in step for both app versions
--   undoes backfill
CREATE TRIGGER `zdm_products_type_price_u` BEFORE UPDATE ON `products` FOR EACH ROW
BEGIN
  IF @zdmigrate_backfill IS NULL THEN
    IF (NOT (NEW.`price` <=> OLD.`price`)) AND NEW.`zdm_price_new` <=> OLD.`zdm_price_new` THEN SET NEW.`zdm_price_new` = (SELECT CAST(price AS DECIMAL(12, 2)) FROM (SELECT NEW.`id` AS `id`, NEW.`sku` AS `sku`, NEW.`name` AS `name`, NEW.`price` AS `price`, NEW.`description` AS `description`, NEW.`created_at` AS `created_at`, NEW.`zdm_price_new` AS `zdm_price_new`) AS `zdm_row`);
    END IF;
  END IF;
END;
-- ChangeColumnType: lock none
--   undoes backfill
UNLOCK TABLES;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_products_type_price_i`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_products_type_price_u`;
-- ChangeColumnType: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
--   undoes expand
ALTER TABLE `products` DROP COLUMN `zdm_price_new`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0003_product_names_not_unique (migrations_examples/0003_product_names_not_unique.py)

-- phase: rollback
-- CreateIndex: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
ALTER TABLE `products` DROP INDEX `ix_products_name`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0004_order_item_integrity (migrations_examples/0004_order_item_integrity.py)

-- phase: rollback
-- AddCheckConstraint: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
ALTER TABLE `order_items` DROP CONSTRAINT `ck_order_items_quantity_positive`, ALGORITHM=INPLACE, LOCK=NONE;
-- AddUniqueConstraint: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
ALTER TABLE `order_items` DROP INDEX `uq_order_items_order_product`, ALGORITHM=INPLACE, LOCK=NONE;
-- AddForeignKey: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
ALTER TABLE `order_items` DROP FOREIGN KEY `fk_order_items_product`, ALGORITHM=INPLACE, LOCK=NONE;
-- AddForeignKey: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
ALTER TABLE `order_items` DROP INDEX `fk_order_items_product`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0005_split_full_name (migrations_examples/0005_split_full_name.py)

-- phase: rollback
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_users_transform_first_name_last_name_i`;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_users_transform_first_name_last_name_u`;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
--   undoes expand
ALTER TABLE `users` DROP COLUMN `first_name`, ALGORITHM=INPLACE, LOCK=NONE;
-- TransformColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
--   undoes expand
ALTER TABLE `users` DROP COLUMN `last_name`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0006_users_phone (migrations_examples/0006_users_phone.py)

-- phase: rollback
-- AddColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
--   undoes expand
ALTER TABLE `users` DROP COLUMN `phone`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0007_product_reviews (migrations_examples/0007_product_reviews.py)

-- phase: rollback
-- CreateTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TABLE `product_reviews`;

-- migration 0008_orders_currency (migrations_examples/0008_orders_currency.py)

-- phase: rollback
-- AddColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
--   undoes expand
ALTER TABLE `orders` DROP COLUMN `currency`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0009_digital_orders (migrations_examples/0009_digital_orders.py)

-- phase: rollback
-- DropNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table; scans
--   rebuilds the table in place; reads and writes go on; fails if the new app has written NULLs: fill them first
--   undoes expand
ALTER TABLE `orders` MODIFY COLUMN `shipping_address` VARCHAR(500) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0010_orders_by_customer (migrations_examples/0010_orders_by_customer.py)

-- phase: rollback
-- CreateIndex: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
ALTER TABLE `orders` DROP INDEX `ix_orders_user_id_created_at`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0011_users_email_address (migrations_examples/0011_users_email_address.py)

-- phase: rollback
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes backfill
ALTER TABLE `users` DROP INDEX `zdm_uq_users_email`, ALGORITHM=INPLACE, LOCK=NONE;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_users_rename_email_i`;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_users_rename_email_u`;
-- RenameColumn: lock EXCLUSIVE METADATA (brief) (blocks reads, writes); rewrites the table
--   rebuilds the table in place; reads and writes go on
--   undoes expand
ALTER TABLE `users` DROP COLUMN `email_address`, ALGORITHM=INPLACE, LOCK=NONE;

-- migration 0012_order_lines (migrations_examples/0012_order_lines.py)

-- phase: rollback
-- RenameTable: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   one atomic rename: the view steps aside as the table takes its name back
--   undoes expand
RENAME TABLE `order_items` TO `zdm_order_items_view`, `order_lines` TO `order_items`;
-- RenameTable: lock none
--   undoes expand
DROP VIEW IF EXISTS `zdm_order_items_view`;

-- migration 0013_orders_currency_required (migrations_examples/0013_orders_currency_required.py)

-- phase: rollback
-- SetNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_orders_currency_fill_i`;
-- SetNotNull: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
DROP TRIGGER IF EXISTS `zdm_orders_currency_fill_u`;
-- SetDefault: lock EXCLUSIVE METADATA (brief) (blocks reads, writes)
--   undoes expand
ALTER TABLE `orders` ALTER COLUMN `currency` DROP DEFAULT, ALGORITHM=INSTANT;

-- migration 0014_retire_coupons (migrations_examples/0014_retire_coupons.py)

-- phase: rollback

-- migration 0015_drop_product_reviews (migrations_examples/0015_drop_product_reviews.py)

-- phase: rollback

-- migration 0016_order_totals_view (migrations_examples/0016_order_totals_view.py)

-- phase: rollback
-- RunSQL: lock none
--   undoes expand
DROP VIEW order_totals;

