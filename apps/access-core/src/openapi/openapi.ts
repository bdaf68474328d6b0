import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AuthModule } from '../auth/auth.module';
import { HealthModule } from '../health/health.module';
import { ConsoleModule } from '../console/console.module';
import { MobileModule } from '../mobile/mobile.module';
import { SystemModule } from '../system/system.module';
import { ACCESS_CORE_VERSION } from '../version';

export const OPENAPI_PATH = '/openapi.json';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Lanbridge access-core mobile API')
    .setDescription(
      'The on-prem API the mobile app uses (directly on the LAN or through the cloud tunnel). ' +
        'Sign in with POST /api/v1/auth/login, then send `Authorization: Bearer <accessToken>`. ' +
        'Errors are `{ code, message, requestId, details? }`; clients branch on `code`. ' +
        'Real time: WebSocket /api/v1/stream (see the `realtime` tag).',
    )
    .setVersion(ACCESS_CORE_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWS (EdDSA)' })
    .build();
  // The terminals' PUSH endpoints (/iclock/*) are a device protocol, not part of this API.
  return SwaggerModule.createDocument(app, config, {
    include: [AuthModule, MobileModule, ConsoleModule, SystemModule, HealthModule],
  });
}

/** Serves the document as JSON at /openapi.json (no UI). Call before `listen`. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), {
    swaggerUiEnabled: false,
    raw: ['json'],
    jsonDocumentUrl: OPENAPI_PATH,
  });
}
