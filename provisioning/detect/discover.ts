import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { formatUsbId } from "../../drivers/uru4000/models.js";
import { messageOf } from "../../agent/cli-support/command-io.js";
import { parseHexId, serialBridgeName, usbReaderModels } from "./known-devices.js";

/** A serial port as serialport lists it (the fields used here). */
export interface ListedSerialPort {
  readonly path: string;
  readonly manufacturer?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
}

/** A USB device as usb's getDeviceList() gives it (the fields used here). */
export interface ListedUsbDevice {
  readonly busNumber: number;
  readonly deviceAddress: number;
  readonly deviceDescriptor: { readonly idVendor: number; readonly idProduct: number };
}

export interface SerialCandidate {
  readonly kind: "serial";
  readonly path: string;
  /** The stable /dev/serial/by-id/... name, which survives replugging into another port. */
  readonly byIdPath: string | undefined;
  readonly usbId: string | undefined;
  readonly bridge: string | undefined;
  readonly serialNumber: string | undefined;
}

export interface UsbReaderCandidate {
  readonly kind: "usb";
  readonly usbId: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly bus: number;
  readonly address: number;
  readonly models: readonly string[];
}

export interface DeviceListing {
  listSerialPorts(): Promise<readonly ListedSerialPort[]>;
  listUsbDevices(): readonly ListedUsbDevice[];
  /** Where udev keeps by-id links (/dev/serial/by-id). */
  readonly byIdDir: string;
}

/** The real listing: serialport and libusb, loaded only when detect runs. */
export async function systemListing(byIdDir = "/dev/serial/by-id"): Promise<DeviceListing> {
  const [{ SerialPort }, usb] = await Promise.all([import("serialport"), import("usb")]);
  return {
    listSerialPorts: () => SerialPort.list(),
    listUsbDevices: () => usb.getDeviceList(),
    byIdDir,
  };
}

/** by-id link targets: real device path to its by-id path. */
async function byIdLinks(dir: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return links;
  }
  for (const name of names.sort()) {
    const link = join(dir, name);
    try {
      links.set(await realpath(link), link);
    } catch {
      // A dangling link: the adapter was just unplugged.
    }
  }
  return links;
}

/**
 * Serial ports behind a known USB-serial bridge (or any USB serial port with `all`),
 * and USB devices with a U.are.U reader's ids.
 */
export async function discoverCandidates(
  listing: DeviceListing,
  options: { allSerialPorts?: boolean } = {},
): Promise<{ serial: SerialCandidate[]; usb: UsbReaderCandidate[]; warnings: string[] }> {
  const links = await byIdLinks(listing.byIdDir);
  const warnings: string[] = [];
  const serial: SerialCandidate[] = [];
  // serialport lists through udevadm, which a minimal system may lack: say so, go on.
  const ports = await listing.listSerialPorts().catch((error: unknown) => {
    warnings.push(`cannot list serial ports: ${messageOf(error)}`);
    return [];
  });
  for (const port of ports) {
    const vendorId = parseHexId(port.vendorId);
    const productId = parseHexId(port.productId);
    const usbKnown = vendorId !== undefined && productId !== undefined;
    const bridge = usbKnown ? serialBridgeName(vendorId, productId) : undefined;
    if (bridge === undefined && !(options.allSerialPorts === true && usbKnown)) continue;
    const resolved = await realpath(port.path).catch(() => port.path);
    serial.push({
      kind: "serial",
      path: port.path,
      byIdPath: links.get(resolved),
      usbId: usbKnown ? formatUsbId(vendorId, productId) : undefined,
      bridge,
      serialNumber: port.serialNumber,
    });
  }
  const usb: UsbReaderCandidate[] = [];
  let devices: readonly ListedUsbDevice[] = [];
  try {
    devices = listing.listUsbDevices();
  } catch (error) {
    warnings.push(`cannot list USB devices: ${messageOf(error)}`);
  }
  for (const device of devices) {
    const { idVendor, idProduct } = device.deviceDescriptor;
    const models = usbReaderModels(idVendor, idProduct);
    if (models.length === 0) continue;
    usb.push({
      kind: "usb",
      usbId: formatUsbId(idVendor, idProduct),
      vendorId: idVendor,
      productId: idProduct,
      bus: device.busNumber,
      address: device.deviceAddress,
      models,
    });
  }
  return { serial, usb, warnings };
}
