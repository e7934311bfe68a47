/**
 * umockdev device descriptions (.umockdev) for a synthesised USB device: the sysfs
 * attributes and udev properties libusb's Linux backend reads while it enumerates
 * (busnum, devnum, speed, the binary "descriptors" file) for the device and its root hub.
 */

export interface SynthesisedUsbDevice {
  /** Index of the iSerialNumber string, 0 for none. */
  readonly serialIndex: number;
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly bus: number;
  readonly deviceNumber: number;
}

const hex = (bytes: readonly number[]): string =>
  bytes.map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join("");
const le16 = (value: number): number[] => [value & 0xff, value >> 8];
const pad3 = (value: number): string => String(value).padStart(3, "0");

/**
 * A U.are.U-shaped device: full speed, one configuration, one vendor-specific interface
 * (class/subclass/protocol ff) with interrupt IN 0x81 and bulk IN 0x82. Reading a serial
 * number string is a control IN transfer, which only the pcap replay can answer, so the
 * ioctl replay's device has none (serialIndex 0).
 */
export function uruDescriptors(device: SynthesisedUsbDevice): number[] {
  const deviceDescriptor = [
    18,
    0x01,
    ...le16(0x0110),
    0,
    0,
    0,
    64,
    ...le16(device.vendorId),
    ...le16(device.productId),
    ...le16(device.bcdDevice),
    1,
    2,
    device.serialIndex,
    1,
  ];
  const interfaceAndEndpoints = [
    9,
    0x04,
    0,
    0,
    2,
    0xff,
    0xff,
    0xff,
    0,
    7,
    0x05,
    0x81,
    0x03,
    ...le16(64),
    10,
    7,
    0x05,
    0x82,
    0x02,
    ...le16(64),
    0,
  ];
  const config = [9, 0x02, ...le16(9 + interfaceAndEndpoints.length), 1, 1, 0, 0xa0, 50];
  return [...deviceDescriptor, ...config, ...interfaceAndEndpoints];
}

const ROOT_HUB_DESCRIPTORS = [
  18,
  0x01,
  ...le16(0x0200),
  9,
  0,
  1,
  64,
  ...le16(0x1d6b),
  ...le16(0x0002),
  ...le16(0x0600),
  3,
  2,
  1,
  1,
  9,
  0x02,
  ...le16(25),
  1,
  1,
  0,
  0xe0,
  0,
  9,
  0x04,
  0,
  0,
  1,
  9,
  0,
  0,
  0,
  7,
  0x05,
  0x81,
  0x03,
  ...le16(4),
  12,
];

function deviceRecord(options: {
  sysfsPath: string;
  bus: number;
  deviceNumber: number;
  minor: number;
  vendorId: number;
  productId: number;
  bcdDevice: number;
  speed: number;
  descriptors: readonly number[];
}): string {
  const { bus, deviceNumber } = options;
  const node = `bus/usb/${pad3(bus)}/${pad3(deviceNumber)}`;
  return [
    `P: ${options.sysfsPath}`,
    `N: ${node}`,
    `E: BUSNUM=${pad3(bus)}`,
    `E: DEVNAME=/dev/${node}`,
    `E: DEVNUM=${pad3(deviceNumber)}`,
    "E: DEVTYPE=usb_device",
    "E: DRIVER=usb",
    "E: MAJOR=189",
    `E: MINOR=${options.minor}`,
    `E: PRODUCT=${options.vendorId.toString(16)}/${options.productId.toString(16)}/${options.bcdDevice.toString(16)}`,
    "E: SUBSYSTEM=usb",
    `A: busnum=${bus}`,
    `A: devnum=${deviceNumber}`,
    "A: bConfigurationValue=1",
    `A: idVendor=${options.vendorId.toString(16).padStart(4, "0")}`,
    `A: idProduct=${options.productId.toString(16).padStart(4, "0")}`,
    `A: speed=${options.speed}`,
    `H: descriptors=${hex([...options.descriptors])}`,
    "",
  ].join("\n");
}

/** The .umockdev text: the root hub of `bus` and the reader on its port 1. */
export function umockdevDescription(device: SynthesisedUsbDevice): string {
  const hub = hubPath(device);
  return [
    deviceRecord({
      sysfsPath: hub,
      bus: device.bus,
      deviceNumber: 1,
      minor: (device.bus - 1) * 128,
      vendorId: 0x1d6b,
      productId: 0x0002,
      bcdDevice: 0x0600,
      speed: 480,
      descriptors: ROOT_HUB_DESCRIPTORS,
    }),
    deviceRecord({
      sysfsPath: `${hub}/${device.bus}-1`,
      bus: device.bus,
      deviceNumber: device.deviceNumber,
      minor: (device.bus - 1) * 128 + device.deviceNumber - 1,
      vendorId: device.vendorId,
      productId: device.productId,
      bcdDevice: device.bcdDevice,
      speed: 12,
      descriptors: uruDescriptors(device),
    }),
  ].join("\n");
}

/** Where libusb opens the device: the devname umockdev-run's --ioctl option names. */
export function deviceNode(device: SynthesisedUsbDevice): string {
  return `/dev/bus/usb/${pad3(device.bus)}/${pad3(device.deviceNumber)}`;
}

function hubPath(device: SynthesisedUsbDevice): string {
  return `/devices/pci0000:00/0000:00:14.0/usb${device.bus}`;
}

/** The device's sysfs path: what umockdev-run's --pcap option names. */
export function sysfsPath(device: SynthesisedUsbDevice): string {
  return `/sys${hubPath(device)}/${device.bus}-1`;
}
