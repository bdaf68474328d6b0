import { type DynamicModule, Module } from '@nestjs/common';
import { MOBILE_APP_FILES, MobileAppController } from './mobile-app.controller';
import { DEFAULT_MOBILE_APP_DIR, MobileAppFiles } from './mobile-app-files';

/** Serves the phone app (apps/mobile-web, built by tools/build.js) at /app/ and the QR link /o. */
@Module({})
export class MobileAppModule {
  static forRoot(dir: string = DEFAULT_MOBILE_APP_DIR): DynamicModule {
    return {
      module: MobileAppModule,
      controllers: [MobileAppController],
      providers: [{ provide: MOBILE_APP_FILES, useValue: new MobileAppFiles(dir) }],
    };
  }
}
