// Português do Brasil: "senha", "link", "usuário", "aplicativo autenticador".
import type { MailMessageId } from './en.js';

export const ptBR: Record<MailMessageId, string> = {
  'mail.greeting': 'Olá, {userName},',
  'mail.openAddress': 'Ou abra este endereço: {link}',
  'mail.signature': '— AgentDesk',

  'invitation.subject': 'Você foi convidado para {accountName} no AgentDesk',
  'invitation.body': '{invitedBy} convidou você para entrar em {accountName} no AgentDesk. Abra o link abaixo para escolher sua senha; depois entre com seu email e essa senha.',
  'invitation.button': 'Escolher sua senha',
  'invitation.expiry': 'O link funciona uma vez, até {expiresAt, date, when}. Se você não esperava este convite, ignore esta mensagem.',

  'passwordReset.subject': 'Redefina sua senha do AgentDesk para {accountName}',
  'passwordReset.reason': '{by, select, admin {Um administrador de {accountName} enviou a você um link para escolher uma nova senha.} other {Alguém (esperamos que você) pediu para redefinir sua senha de {accountName}.}}',
  'passwordReset.button': 'Escolher uma nova senha',
  'passwordReset.expiry': 'O link funciona uma vez, até {expiresAt, date, when}. Escolher uma nova senha encerra todas as suas sessões; depois entre com ela e com seu segundo fator, como de costume. Se você não pediu isso, ignore esta mensagem: sua senha continua a mesma.',

  'security.subject': 'Alteração de segurança na sua conta do AgentDesk ({accountName})',
  'security.happened': '{what} ({when, date, when}).',
  'security.notMeIntro': 'Se não foi você, encerre todas as sessões da sua conta e alerte seus administradores:',
  'security.notMeButton': 'Não fui eu',
  'security.tellAdmin': 'Se não foi você, avise seu administrador imediatamente.',

  'notMe.subject': '{userName} relatou uma atividade que não reconhece ({accountName})',
  'notMe.reported': '{userName} ({userEmail}) respondeu “Não fui eu” em {reportedAt, date, when} a este aviso de segurança de {happenedAt, date, when}{hasAddress, select, yes {, a partir de {address}} other {}}:',
  'notMe.quote': 'Aviso: “{what}”',
  'notMe.advice': 'Nesse momento, todas as sessões de {userName} foram encerradas. Outra pessoa pode saber a senha ou ter o segundo fator desse usuário: confira o log de auditoria, redefina a autenticação de dois fatores ou a senha se necessário, e resolva o alerta no console:',
  'notMe.button': 'Abrir o console',

  'method.defaultName': '{method, select, security_key {Chave de segurança} other {Aplicativo autenticador}}',
  // The participle agrees with the method: "chave" is feminine, "aplicativo" masculine.
  'activity.method_added': '{method, select, security_key {Uma chave de segurança{named, select, yes { “{name}”} other {}} foi adicionada} other {Um aplicativo autenticador{named, select, yes { “{name}”} other {}} foi adicionado}} como segundo fator da sua conta',
  'activity.method_removed': '{method, select, security_key {A chave de segurança{named, select, yes { “{name}”} other {}} foi removida} other {O aplicativo autenticador{named, select, yes { “{name}”} other {}} foi removido}} da sua conta',
  'activity.recovery_codes_regenerated': 'Novos códigos de recuperação foram gerados para sua conta; os antigos não funcionam mais',
  'activity.two_factor_reset': 'Um administrador redefiniu sua autenticação de dois fatores: seus métodos e códigos de recuperação foram removidos',
  'activity.password_changed': '{byResetLink, select, yes {Sua senha foi alterada com um link de redefinição} other {Sua senha foi alterada}}',
  'activity.new_device_sign_in': 'Alguém entrou na sua conta a partir de um novo dispositivo',
  'activity.enrollment_code_redeemed': 'Um código de cadastro do seu administrador foi usado para configurar a autenticação de dois fatores na sua conta',
  'activity.other': 'A segurança da sua conta foi alterada',
};
