import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discoverCandidates, type DeviceListing } from "../../../provisioning/detect/discover.js";

describe("discoverCandidates", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "basma-discover-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps ports behind known bridges with their by-id names, and U.are.U readers", async () => {
    const cp210x = join(dir, "ttyUSB0");
    const unknown = join(dir, "ttyUSB1");
    await writeFile(cp210x, "");
    await writeFile(unknown, "");
    await symlink(cp210x, join(dir, "usb-Silicon_Labs_CP2102_0001-if00-port0"));
    const listing: DeviceListing = {
      byIdDir: dir,
      listSerialPorts: () =>
        Promise.resolve([
          { path: cp210x, vendorId: "10c4", productId: "ea60", serialNumber: "0001" },
          { path: unknown, vendorId: "1234", productId: "5678" },
          { path: "/dev/ttyS0" },
        ]),
      listUsbDevices: () => [
        {
          busNumber: 1,
          deviceAddress: 4,
          deviceDescriptor: { idVendor: 0x05ba, idProduct: 0x000a },
        },
        {
          busNumber: 1,
          deviceAddress: 5,
          deviceDescriptor: { idVendor: 0x046d, idProduct: 0xc52b },
        },
      ],
    };
    const found = await discoverCandidates(listing);
    expect(found.serial).toEqual([
      {
        kind: "serial",
        path: cp210x,
        byIdPath: join(dir, "usb-Silicon_Labs_CP2102_0001-if00-port0"),
        usbId: "10c4:ea60",
        bridge: "Silicon Labs CP210x",
        serialNumber: "0001",
      },
    ]);
    expect(found.usb).toEqual([
      {
        kind: "usb",
        usbId: "05ba:000a",
        vendorId: 0x05ba,
        productId: 0x000a,
        bus: 1,
        address: 4,
        models: ["uru4000b", "uru4500"],
      },
    ]);
    expect(found.warnings).toEqual([]);
    const all = await discoverCandidates(listing, { allSerialPorts: true });
    expect(all.serial.map((port) => port.path)).toEqual([cp210x, unknown]);
  });

  it("reports a listing that fails instead of failing", async () => {
    const found = await discoverCandidates({
      byIdDir: join(dir, "missing"),
      listSerialPorts: () => Promise.reject(new Error("spawn udevadm ENOENT")),
      listUsbDevices: () => {
        throw new Error("LIBUSB_ERROR_ACCESS");
      },
    });
    expect(found).toEqual({
      serial: [],
      usb: [],
      warnings: [
        "cannot list serial ports: spawn udevadm ENOENT",
        "cannot list USB devices: LIBUSB_ERROR_ACCESS",
      ],
    });
  });
});
