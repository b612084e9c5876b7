-- Field assets: the device registry (with tokens, assignments and links),
-- positions (partitioned by month on fix time; partitions are created ahead
-- by the module at start-up and daily, a DEFAULT partition catches the
-- rest), the latest position and live state per device, geofences and
-- events (alerts).

CREATE TABLE fa_devices (
  id uuid PRIMARY KEY,
  unique_id text NOT NULL UNIQUE,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('command-vehicle', 'patrol-vehicle', 'motorcycle', 'handheld', 'laptop', 'body-camera', 'covert-camera')),
  unit text,
  status text NOT NULL DEFAULT 'in-service' CHECK (status IN ('in-service', 'maintenance', 'retired')),
  notes text,
  speed_limit_kph double precision,
  -- SHA-256 (hex) of the device token; the token itself is shown once.
  token_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fa_devices_name_idx ON fa_devices (lower(name));

-- Who or what a device is assigned to, with history (ended_at set when replaced).
CREATE TABLE fa_assignments (
  id uuid PRIMARY KEY,
  device_id uuid NOT NULL REFERENCES fa_devices (id),
  officer_id text,
  officer_name text,
  user_id text,
  vehicle_device_id uuid REFERENCES fa_devices (id),
  note text,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  assigned_by text NOT NULL
);
CREATE UNIQUE INDEX fa_assignments_current_idx ON fa_assignments (device_id) WHERE ended_at IS NULL;
CREATE INDEX fa_assignments_device_idx ON fa_assignments (device_id, started_at DESC);

-- Devices that belong together (stored once per pair, a < b).
CREATE TABLE fa_links (
  a uuid NOT NULL REFERENCES fa_devices (id),
  b uuid NOT NULL REFERENCES fa_devices (id),
  separation_metres integer NOT NULL,
  separation_seconds integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (a, b),
  CHECK (a < b)
);
CREATE INDEX fa_links_b_idx ON fa_links (b);

-- Every accepted position. Duplicates (same device and fix time) are ignored.
CREATE TABLE fa_positions (
  device_id uuid NOT NULL,
  fix_time timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  lat double precision NOT NULL,
  lon double precision NOT NULL,
  speed_kph real,
  course real,
  altitude real,
  accuracy real,
  battery real,
  charging boolean,
  alarm text,
  motion boolean,
  protocol text NOT NULL,
  attributes jsonb,
  PRIMARY KEY (device_id, fix_time)
) PARTITION BY RANGE (fix_time);
CREATE TABLE fa_positions_default PARTITION OF fa_positions DEFAULT;

-- The newest position (by fix time) per device and its live state; kept hot in memory too.
CREATE TABLE fa_latest (
  device_id uuid PRIMARY KEY REFERENCES fa_devices (id),
  fix_time timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  lat double precision NOT NULL,
  lon double precision NOT NULL,
  speed_kph real,
  course real,
  altitude real,
  accuracy real,
  battery real,
  charging boolean,
  alarm text,
  motion boolean,
  protocol text NOT NULL,
  attributes jsonb,
  last_seen_at timestamptz NOT NULL,
  connection text NOT NULL DEFAULT 'online',
  -- Geofences the device is inside (enter/exit survive a restart).
  geofence_ids uuid[] NOT NULL DEFAULT '{}'
);

CREATE TABLE fa_geofences (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  description text,
  geometry jsonb NOT NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fa_events (
  id uuid PRIMARY KEY,
  device_id uuid NOT NULL REFERENCES fa_devices (id),
  kind text NOT NULL,
  severity text NOT NULL,
  at timestamptz NOT NULL,
  lat double precision,
  lon double precision,
  geofence_id uuid,
  related_device_id uuid,
  message text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  acknowledged_at timestamptz,
  acknowledged_by text,
  ack_note text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fa_events_created_idx ON fa_events (created_at DESC);
CREATE INDEX fa_events_device_idx ON fa_events (device_id, at DESC);
CREATE INDEX fa_events_open_idx ON fa_events (created_at DESC) WHERE acknowledged_at IS NULL;
