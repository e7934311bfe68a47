import { SensorError } from "../sensor.js";
import {
  checkUint32,
  checkUint8,
  packArgs,
  replyParameters,
  type CommandOptions,
} from "./commands-core.js";
import { LibraryCommands } from "./commands-library.js";
import { Instruction } from "./constants.js";
import { uint32Bytes } from "./frame.js";
import {
  decodeSystemParameters,
  PACKET_SIZES,
  type SystemParameters,
} from "./system-parameters.js";

export type SecurityLevel = 1 | 2 | 3 | 4 | 5;
export type PacketSize = (typeof PACKET_SIZES)[number];
/** ReadIndexTable covers the library 256 pages at a time. */
export type IndexPage = 0 | 1 | 2 | 3;

/**
 * One SetSysPara parameter. A new baud rate applies to the line, which the caller
 * must reopen at that rate; the R503 manual asks for a power cycle after any change.
 */
export type SystemParameterSetting =
  /** 9600 x multiplier; libraries accept 1-12, the R503 manual lists 1, 2, 4, 6, 12. */
  | { readonly parameter: "baud"; readonly multiplier: number }
  | { readonly parameter: "security-level"; readonly level: SecurityLevel }
  | { readonly parameter: "packet-size"; readonly bytes: PacketSize };

const PARAMETER_NUMBER = { baud: 4, "security-level": 5, "packet-size": 6 } as const;
const INDEX_PAGES: readonly number[] = [0, 1, 2, 3] satisfies IndexPage[];
const INDEX_PAGE_BYTES = 32;
const PAGES_PER_INDEX_PAGE = INDEX_PAGE_BYTES * 8;
const MAX_BAUD_MULTIPLIER = 12;

/** Parameters, password, address, the random number generator and the library's bookkeeping. */
export class SystemCommands extends LibraryCommands {
  /** Reads the parameters and adopts the module's packet size for outgoing transfers. */
  async readSystemParameters(options: CommandOptions = {}): Promise<SystemParameters> {
    const reply = await this.expectOk(Instruction.ReadSysPara, options);
    const parameters = decodeSystemParameters(reply.parameters);
    this.channel.setPacketSize(parameters.packetSize);
    return parameters;
  }

  /** A new packet size applies to every transfer after the module's Ok. */
  async setSystemParameter(
    setting: SystemParameterSetting,
    options: CommandOptions = {},
  ): Promise<void> {
    const value = parameterValue(setting);
    await this.expectOk(Instruction.SetSysPara, options, {
      args: packArgs([PARAMETER_NUMBER[setting.parameter], 1], [value, 1]),
      reconfigure: setting.parameter === "packet-size" ? { packetSize: setting.bytes } : undefined,
    });
  }

  async verifyPassword(password: number, options: CommandOptions = {}): Promise<void> {
    checkUint32(password, "password");
    await this.expectOk(Instruction.VfyPwd, options, { args: uint32Bytes(password) });
  }

  /** Stored in flash; the module then refuses everything but VfyPwd after a restart. */
  async setPassword(password: number, options: CommandOptions = {}): Promise<void> {
    checkUint32(password, "password");
    await this.expectOk(Instruction.SetPwd, options, { args: uint32Bytes(password) });
  }

  /** The module answers from its new address at once, and this channel follows it. */
  async setAddress(address: number, options: CommandOptions = {}): Promise<void> {
    checkUint32(address, "address");
    await this.expectOk(Instruction.SetAddr, options, {
      args: uint32Bytes(address),
      reconfigure: { address },
    });
  }

  /** 32 bits from the module's hardware generator. */
  async getRandomCode(options: CommandOptions = {}): Promise<number> {
    const reply = await this.expectOk(Instruction.GetRandomCode, options);
    return replyParameters(reply, Instruction.GetRandomCode, 4).getUint32(0);
  }

  /** How many templates the library holds. */
  async templateCount(options: CommandOptions = {}): Promise<number> {
    const reply = await this.expectOk(Instruction.TemplateNum, options);
    return replyParameters(reply, Instruction.TemplateNum, 2).getUint16(0);
  }

  /** The occupied pages among `page` x 256 to `page` x 256 + 255. */
  async readIndexTable(
    page: IndexPage,
    options: CommandOptions = {},
  ): Promise<ReadonlySet<number>> {
    if (!INDEX_PAGES.includes(page)) throw new RangeError(`index page must be 0-3, got ${page}`);
    const reply = await this.expectOk(Instruction.ReadIndexTable, options, {
      args: packArgs([page, 1]),
    });
    const bitmap = reply.parameters;
    if (bitmap.length < INDEX_PAGE_BYTES) {
      throw new SensorError(
        "protocol",
        `ReadIndexTable returned ${bitmap.length} bytes, expected ${INDEX_PAGE_BYTES}`,
      );
    }
    // Byte n covers pages 8n..8n+7, the lowest page in the lowest bit.
    const occupied = new Set<number>();
    for (let byte = 0; byte < INDEX_PAGE_BYTES; byte++) {
      const bits = bitmap[byte] ?? 0;
      for (let bit = 0; bit < 8; bit++) {
        if (bits & (1 << bit)) occupied.add(page * PAGES_PER_INDEX_PAGE + byte * 8 + bit);
      }
    }
    return occupied;
  }

  /** Ok means the module is alive and accepting commands. */
  async handshake(options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.HandShake, options);
  }
}

function parameterValue(setting: SystemParameterSetting): number {
  switch (setting.parameter) {
    case "baud":
      checkUint8(setting.multiplier, "baud multiplier", 1);
      if (setting.multiplier > MAX_BAUD_MULTIPLIER) {
        throw new RangeError(`baud multiplier must be 1-${MAX_BAUD_MULTIPLIER}`);
      }
      return setting.multiplier;
    case "security-level":
      checkUint8(setting.level, "security level", 1);
      if (setting.level > 5) throw new RangeError("security level must be 1-5");
      return setting.level;
    case "packet-size": {
      const code = PACKET_SIZES.indexOf(setting.bytes);
      if (code < 0) throw new RangeError(`packet size must be one of ${PACKET_SIZES.join("/")}`);
      return code;
    }
  }
}
